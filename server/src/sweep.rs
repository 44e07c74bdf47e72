//! The retention sweep a running service makes: at start, then every `sweep_every`.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{Retention, Store};

/// Sweeps `store` now and then every `every`, on the blocking pool, until the task is
/// dropped. A failed sweep is logged and tried again at the next tick: nothing is lost by
/// keeping data a little longer.
pub(crate) async fn periodically(store: Arc<dyn Store>, retention: Retention, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = Arc::clone(&store);
        let now = crate::service::now_ms();
        match tokio::task::spawn_blocking(move || store.sweep(now, &retention)).await {
            Ok(Ok(swept)) => tracing::info!(
                events = swept.events,
                batches = swept.batches,
                partitions = swept.partitions,
                deletion_records = swept.deletion_records,
                tombstones = swept.tombstones,
                "retention sweep"
            ),
            Ok(Err(e)) => tracing::warn!(error = %e, "retention sweep failed"),
            Err(e) => tracing::warn!(error = %e, "retention sweep did not finish"),
        }
    }
}
