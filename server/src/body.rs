//! Reading a request body under a limit. At most `limit` bytes are kept, so memory is bounded
//! while reading. A body somewhat over the limit is read to its end and discarded before the
//! 413 goes out: a plain HTTP/1.1 client (the SDK's uploader among them) is still writing
//! then, and closing the connection under it would reset it, losing the 413 that tells the
//! device to split the batch. Beyond [`drain_limit`] the connection is given up instead.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody};

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
}

impl BodyError {
    pub fn reason(&self) -> String {
        match self {
            BodyError::TooLarge { limit } => format!("the body is over {limit} bytes"),
            BodyError::Failed(e) => format!("the body could not be read: {e}"),
        }
    }
}

/// The body, if it is at most `limit` bytes.
pub async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let give_up_after = drain_limit(limit);
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| BodyError::Failed(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total = total.saturating_add(data.len());
        if total <= limit {
            kept.extend_from_slice(&data);
        } else if total > give_up_after {
            return Err(BodyError::TooLarge { limit });
        } else if !kept.is_empty() {
            kept = Vec::new(); // over the limit: keep nothing while draining
        }
    }
    if total > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(Bytes::from(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn keeps_up_to_the_limit_and_refuses_beyond() {
        let read = |bytes: Vec<u8>, limit| block_on(read_limited(Body::from(bytes), limit));
        assert_eq!(read(vec![1; 100], 100).unwrap().len(), 100);
        assert_eq!(read(Vec::new(), 100).unwrap().len(), 0);
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
    }
}
