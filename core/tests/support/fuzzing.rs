//! What the fuzz targets share: a global allocator that counts live heap bytes and their peak
//! on each thread (how a target holds decoding to a memory limit), and how many inputs to run. Included by
//! `#[path]` (core and server tests), since a global allocator is declared once per binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

// Per thread, so other tests running beside a measurement (the harness runs them in parallel
// threads) do not count against it: a decode allocates only on its own thread. Const
// initializers without destructors: reading them never allocates, even inside the allocator.
thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn size(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.with(|l| {
                l.set(l.get().saturating_add(size(layout)));
                l.get()
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.with(|l| l.set(l.get().saturating_sub(size(layout))));
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most heap `f` holds at once on this thread beyond what was live before it.
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, usize::try_from(peak.saturating_sub(base)).unwrap_or(0))
}

/// Inputs a target runs under `cargo test`: MODICUM_FUZZ_ITERATIONS, or 2 000.
pub fn iterations() -> usize {
    std::env::var("MODICUM_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}
