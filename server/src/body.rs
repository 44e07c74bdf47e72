//! Reading a request body under a limit. At most `limit` bytes are kept, so memory is bounded
//! while reading. A body somewhat over the limit is read to its end and discarded before the
//! 413 goes out: a plain HTTP/1.1 client (the SDK's uploader among them) is still writing
//! then, and closing the connection under it would reset it, losing the 413 that tells the
//! device to split the batch. Beyond [`drain_limit`] the connection is given up instead.
//!
//! A body must also arrive by a deadline set from its length and a minimum rate (see
//! [`deadline`]), and every byte kept is charged to a budget the whole service shares, so
//! bodies held at once never exceed it however many connections send them.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How much of an oversized body is read (and discarded) before the server gives up on it:
/// eight times the limit, and at least 16 MiB, so any batch a device could plausibly send
/// hears its 413. Draining costs time, bounded by the request timeout, but no memory.
pub fn drain_limit(limit: usize) -> usize {
    limit.saturating_mul(8).max(16 << 20)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Over `limit` bytes.
    TooLarge { limit: usize },
    /// The connection failed or the body was cut short.
    Failed(String),
    /// Not all of it arrived by its deadline.
    TooSlow,
    /// Bodies already held use the whole buffer budget.
    Busy,
}

impl BodyError {
    pub fn reason(&self) -> String {
        match self {
            BodyError::TooLarge { limit } => format!("the body is over {limit} bytes"),
            BodyError::Failed(e) => format!("the body could not be read: {e}"),
            BodyError::TooSlow => "the body arrived too slowly".into(),
            BodyError::Busy => "too many bodies are arriving at once".into(),
        }
    }
}

/// A body that arrived, and its share of the buffer budget, returned when this is dropped.
pub struct Received {
    pub bytes: Bytes,
    _held: Option<OwnedSemaphorePermit>,
}

/// How a body is read: at most `limit` bytes kept, all of it by `deadline`, every byte kept
/// charged to `budget` (one permit a byte) as it arrives.
pub struct Reading<'a> {
    pub limit: usize,
    pub deadline: Instant,
    pub budget: &'a Arc<Semaphore>,
}

/// The body, if it is at most `limit` bytes and arrived in time. A body over the limit is
/// drained without keeping it (see the module docs); a body the budget cannot hold is refused
/// at once rather than waited for, so one slow sender never makes others wait.
pub async fn read_limited(mut body: Body, reading: Reading<'_>) -> Result<Received, BodyError> {
    let limit = reading.limit;
    let give_up_after = drain_limit(limit);
    let mut kept = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    let mut total = 0usize;
    loop {
        let next = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let frame = match tokio::time::timeout_at(reading.deadline, next).await {
            Err(_) => return Err(BodyError::TooSlow),
            Ok(None) => break,
            Ok(Some(frame)) => frame.map_err(|e| BodyError::Failed(e.to_string()))?,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total = total.saturating_add(data.len());
        if total <= limit {
            let permits = u32::try_from(data.len()).map_err(|_| BodyError::Busy)?;
            let share = Arc::clone(reading.budget)
                .try_acquire_many_owned(permits)
                .map_err(|_| BodyError::Busy)?;
            match &mut held {
                Some(all) => all.merge(share),
                None => held = Some(share),
            }
            kept.extend_from_slice(&data);
        } else if total > give_up_after {
            return Err(BodyError::TooLarge { limit });
        } else if !kept.is_empty() {
            // Over the limit: keep nothing while draining, and give the budget back.
            kept = Vec::new();
            held = None;
        }
    }
    if total > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(Received {
        bytes: Bytes::from(kept),
        _held: held,
    })
}

/// When a body of `length` bytes (or of unknown length, taken as `limit`) must have arrived:
/// `grace`, plus its length at `min_rate` bytes a second.
pub fn deadline(
    start: Instant,
    length: Option<u64>,
    limit: usize,
    grace: Duration,
    min_rate: u32,
) -> Instant {
    let length = length
        .unwrap_or(limit as u64)
        .min(drain_limit(limit) as u64);
    let transfer = Duration::from_secs_f64(length as f64 / f64::from(min_rate.max(1)));
    start + grace + transfer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// A body that sends one chunk and then nothing, ever.
    struct Stalled(Option<Bytes>);

    impl HttpBody for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            match self.0.take() {
                Some(bytes) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes)))),
                None => std::task::Poll::Pending,
            }
        }
    }

    fn reading(limit: usize, budget: &Arc<Semaphore>) -> Reading<'_> {
        Reading {
            limit,
            deadline: Instant::now() + Duration::from_secs(5),
            budget,
        }
    }

    #[test]
    fn keeps_up_to_the_limit_and_refuses_beyond() {
        let budget = Arc::new(Semaphore::new(1 << 20));
        let read = |bytes: Vec<u8>, limit| {
            block_on(read_limited(Body::from(bytes), reading(limit, &budget)))
                .map(|r| r.bytes.len())
        };
        assert_eq!(read(vec![1; 100], 100), Ok(100));
        assert_eq!(read(Vec::new(), 100), Ok(0));
        assert_eq!(
            read(vec![1; 101], 100),
            Err(BodyError::TooLarge { limit: 100 })
        );
        assert_eq!(
            read(vec![1; 5000], 100),
            Err(BodyError::TooLarge { limit: 100 })
        );
        assert_eq!(drain_limit(100), 16 << 20);
        assert_eq!(drain_limit(4 << 20), 32 << 20);
        assert_eq!(budget.available_permits(), 1 << 20, "every byte given back");
    }

    #[test]
    fn a_body_holds_its_bytes_of_the_budget_until_dropped() {
        let budget = Arc::new(Semaphore::new(150));
        let first = block_on(read_limited(
            Body::from(vec![1; 100]),
            reading(1000, &budget),
        ))
        .unwrap();
        assert_eq!(budget.available_permits(), 50);
        let second = block_on(read_limited(
            Body::from(vec![1; 100]),
            reading(1000, &budget),
        ));
        assert_eq!(second.err(), Some(BodyError::Busy));
        assert_eq!(
            budget.available_permits(),
            50,
            "a refused body holds nothing"
        );
        drop(first);
        assert_eq!(budget.available_permits(), 150);
    }

    #[test]
    fn a_body_that_does_not_arrive_by_its_deadline_is_refused() {
        let budget = Arc::new(Semaphore::new(1 << 20));
        let stalled = block_on(async {
            let reading = Reading {
                limit: 100,
                deadline: Instant::now() + Duration::from_millis(50),
                budget: &budget,
            };
            let body = Body::new(Stalled(Some(Bytes::from_static(b"abc"))));
            read_limited(body, reading).await.map(|r| r.bytes.len())
        });
        assert_eq!(stalled, Err(BodyError::TooSlow));
        let start = Instant::now();
        let at = |length| deadline(start, length, 1 << 20, Duration::from_secs(10), 4096);
        assert_eq!(at(Some(40_960)) - start, Duration::from_secs(20));
        assert_eq!(at(None) - start, Duration::from_secs(10 + 256));
    }
}
