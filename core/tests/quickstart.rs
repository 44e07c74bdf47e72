//! The README's Rust quickstart (`core/examples/quickstart.rs`) runs as written: start,
//! consent, record, seal and the pull-upload loop against the reference server on 127.0.0.1,
//! which must store exactly the one minimized event.

#[path = "../examples/quickstart.rs"]
mod quickstart;

#[test]
fn the_quickstart_runs_and_the_collector_gets_the_minimized_event() {
    quickstart::main().expect("the quickstart runs");
}
