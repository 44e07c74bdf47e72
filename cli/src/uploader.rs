//! The host `Uploader`: what the CLI, the demo and the tests send batches with. Mobile apps use
//! their platform's HTTP stack instead (HttpURLConnection, URLSession).

use std::time::Duration;

use modicum_core::upload::{UploadOutcome, UploadRequest, Uploader};

/// Answers are small JSON documents; anything larger is not read.
const MAX_ANSWER: u64 = 64 * 1024;

pub struct HttpUploader {
    agent: ureq::Agent,
}

impl HttpUploader {
    pub fn new(timeout: Duration) -> HttpUploader {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Statuses are the upload rules' input, not errors.
            .http_status_as_error(false)
            .build()
            .into();
        HttpUploader { agent }
    }
}

impl Uploader for HttpUploader {
    fn upload(&self, request: &UploadRequest) -> UploadOutcome {
        let mut call = self.agent.post(&request.url);
        for (name, value) in &request.headers {
            call = call.header(name, value);
        }
        match call.send(&request.body[..]) {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                // Read the answer so the connection can be reused; its content is not needed.
                let _ = response
                    .into_body()
                    .with_config()
                    .limit(MAX_ANSWER)
                    .read_to_vec();
                UploadOutcome::Response {
                    status,
                    retry_after,
                }
            }
            Err(e) => UploadOutcome::NetworkError {
                message: e.to_string(),
            },
        }
    }
}
