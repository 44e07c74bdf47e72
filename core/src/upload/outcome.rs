use std::time::{Duration, SystemTime};

use super::parse_retry_after;

/// What became of a request, as the platform reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The collector answered.
    Response {
        status: u16,
        /// The `Retry-After` header, if any, as sent.
        retry_after: Option<String>,
    },
    /// No answer: no connection, a reset, a timeout.
    NetworkError { message: String },
}

/// What the device does about an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Stored (or already stored: a duplicate batch id): remove it.
    Delivered,
    /// Too large for the collector: split in two and reseal, or drop a single event.
    Split,
    /// Refused for good (another 4xx): drop it and count it.
    Rejected,
    /// Try again after this pause, asked for by the collector.
    RetryAfter(Duration),
    /// Try again after a backoff.
    Retry,
}

impl UploadOutcome {
    pub fn verdict(&self, now: SystemTime) -> Verdict {
        let (status, retry_after) = match self {
            UploadOutcome::NetworkError { .. } => return Verdict::Retry,
            UploadOutcome::Response {
                status,
                retry_after,
            } => (*status, retry_after.as_deref()),
        };
        match status {
            200..=299 | 409 => Verdict::Delivered,
            413 => Verdict::Split,
            429 | 503 => retry_after
                .and_then(|v| parse_retry_after(v, now))
                .map_or(Verdict::Retry, Verdict::RetryAfter),
            // A request timeout is the network's fault, not the batch's.
            408 => Verdict::Retry,
            400..=499 => Verdict::Rejected,
            _ => Verdict::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> UploadOutcome {
        UploadOutcome::Response {
            status,
            retry_after: retry_after.map(str::to_owned),
        }
    }

    #[test]
    fn status_codes_drive_the_rules() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(response(200, None).verdict(now), Verdict::Delivered);
        assert_eq!(response(409, None).verdict(now), Verdict::Delivered);
        assert_eq!(response(413, None).verdict(now), Verdict::Split);
        assert_eq!(
            response(429, Some("7")).verdict(now),
            Verdict::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            response(503, Some("Thu, 01 Jan 1970 00:00:30 GMT")).verdict(now),
            Verdict::RetryAfter(Duration::from_secs(30))
        );
        assert_eq!(response(503, None).verdict(now), Verdict::Retry);
        assert_eq!(response(429, Some("later")).verdict(now), Verdict::Retry);
        assert_eq!(response(400, None).verdict(now), Verdict::Rejected);
        assert_eq!(response(401, None).verdict(now), Verdict::Rejected);
        assert_eq!(response(422, None).verdict(now), Verdict::Rejected);
        assert_eq!(response(408, None).verdict(now), Verdict::Retry);
        assert_eq!(response(500, None).verdict(now), Verdict::Retry);
        assert_eq!(response(302, None).verdict(now), Verdict::Retry);
        let lost = UploadOutcome::NetworkError {
            message: "reset".into(),
        };
        assert_eq!(lost.verdict(now), Verdict::Retry);
    }
}
