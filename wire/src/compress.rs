//! Raw deflate with the schema's preset dictionary, and inflation under a hard output limit.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::WireError;

pub(super) fn deflate(data: &[u8], dictionary: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut compress = Compress::new(Compression::best(), false);
    compress
        .set_dictionary(dictionary)
        .map_err(|e| WireError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    loop {
        // Bytes of `data` consumed so far, so never above `data.len()`: saturating is exact.
        let consumed = usize::try_from(compress.total_in()).unwrap_or(data.len());
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(1024));
        }
        let status = compress
            .compress_vec(&data[consumed..], &mut out, FlushCompress::Finish)
            .map_err(|e| WireError::Encode(e.to_string()))?;
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}

/// Inflates `data`, refusing to produce more than `limit` bytes: memory stays bounded
/// whatever the input claims.
pub(super) fn inflate(data: &[u8], dictionary: &[u8], limit: usize) -> Result<Vec<u8>, WireError> {
    let mut decompress = Decompress::new(false);
    decompress
        .set_dictionary(dictionary)
        .map_err(|e| WireError::Deflate(e.to_string()))?;
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit).max(64));
    loop {
        // Bytes of `data` consumed so far, so never above `data.len()`: saturating is exact.
        let consumed = usize::try_from(decompress.total_in()).unwrap_or(data.len());
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err(WireError::TooLarge { limit });
            }
            let room = out.capacity().max(4096).min(limit - out.len());
            out.reserve_exact(room);
        }
        let before = (decompress.total_in(), decompress.total_out());
        let status = decompress
            .decompress_vec(&data[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| WireError::Deflate(e.to_string()))?;
        match status {
            Status::StreamEnd => return Ok(out),
            _ if (decompress.total_in(), decompress.total_out()) == before
                && out.len() < out.capacity() =>
            {
                return Err(WireError::Deflate("the stream ends early".into()));
            }
            _ => {}
        }
    }
}
