//! `modicum scrub`: the default scrubbing rules as a filter, for checking logs by hand.

use std::io::{self, BufRead, BufWriter, Write};

pub fn run() -> Result<(), String> {
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    filter(stdin, &mut out).map_err(|e| e.to_string())
}

/// Writes each input line scrubbed. Lines that are not UTF-8 are read lossily, so one bad
/// byte costs one character, not the line; line endings (`\n` or `\r\n`) are kept as they were.
fn filter(mut input: impl BufRead, out: &mut impl Write) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return out.flush();
        }
        let ending = if line.ends_with(b"\r\n") {
            2
        } else {
            usize::from(line.ends_with(b"\n"))
        };
        let (body, end) = line.split_at(line.len() - ending);
        let text = String::from_utf8_lossy(body);
        out.write_all(modicum_core::scrub(&text).as_bytes())?;
        out.write_all(end)?;
    }
}

#[cfg(test)]
mod tests {
    use super::filter;

    fn run(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        filter(input, &mut out).unwrap();
        out
    }

    #[test]
    fn one_line_out_per_line_in() {
        assert_eq!(
            run(b"mail ann@example.org\nclean line\r\nlast"),
            b"mail [email]\nclean line\r\nlast"
        );
        assert_eq!(run(b""), b"");
        assert_eq!(run(b"\n\n"), b"\n\n");
    }

    #[test]
    fn invalid_utf8_costs_a_character_not_the_line() {
        assert_eq!(
            run(b"bad \xff byte ann@example.org\n"),
            "bad \u{fffd} byte [email]\n".as_bytes()
        );
    }
}
