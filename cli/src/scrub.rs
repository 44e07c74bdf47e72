//! `modicum scrub`: the default scrubbing rules as a filter, for checking logs by hand; and
//! `modicum scrub --report CORPUS`, recall and precision per family over a labelled corpus
//! (`modicum corpus`), side by side with other detectors' findings on the same corpus.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

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

/// One line of a labelled corpus.
#[derive(Deserialize)]
struct Labelled {
    text: String,
    pii: Vec<Label>,
    #[serde(default)]
    negative: Option<String>,
}

#[derive(Deserialize)]
struct Label {
    kind: String,
    start: usize,
    end: usize,
}

/// What a detector found in one line: byte ranges and what it called them.
#[derive(Deserialize, Default)]
struct Findings {
    spans: Vec<Finding>,
}

#[derive(Deserialize, Clone)]
struct Finding {
    start: usize,
    end: usize,
    #[serde(alias = "entity")]
    kind: String,
}

/// Counts for one detector over the corpus.
#[derive(Default)]
struct Tally {
    /// Per labelled family: (labelled, fully removed).
    recall: BTreeMap<String, (u32, u32)>,
    /// Per family the detector named: (reported, on personal data).
    precision: BTreeMap<String, (u32, u32)>,
    /// Hard negative lines, and those left exactly as written.
    negatives: (u32, u32),
    /// Labelled pieces whose tag named another kind (ours only).
    wrong_tag: u32,
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// `modicum scrub --report CORPUS [--other NAME=FINDINGS]`: prints a Markdown table of recall
/// and precision per family for this scrubber and each other detector.
pub fn report(corpus: &Path, others: &[String]) -> Result<(), String> {
    let lines: Vec<Labelled> = read_lines(corpus)?;
    let started = std::time::Instant::now();
    let ours: Vec<Findings> = lines
        .iter()
        .map(|l| Findings {
            spans: modicum_core::scrub_report(&l.text)
                .spans
                .into_iter()
                .map(|s| Finding {
                    start: s.start,
                    end: s.end,
                    kind: s.kind.name().to_owned(),
                })
                .collect(),
        })
        .collect();
    let elapsed = started.elapsed();
    let bytes: usize = lines.iter().map(|l| l.text.len()).sum();
    let mut detectors = vec![("modicum".to_owned(), tally(&lines, &ours, true))];
    for other in others {
        let (name, path) = other
            .split_once('=')
            .ok_or_else(|| format!("--other takes NAME=FILE, not `{other}`"))?;
        let findings: Vec<Findings> = read_lines(&PathBuf::from(path))?;
        if findings.len() != lines.len() {
            return Err(format!(
                "{path} has {} lines for a corpus of {}",
                findings.len(),
                lines.len()
            ));
        }
        detectors.push((name.to_owned(), tally(&lines, &findings, false)));
    }
    print_report(&detectors, lines.len(), bytes, elapsed);
    Ok(())
}

fn tally(lines: &[Labelled], findings: &[Findings], ours: bool) -> Tally {
    let mut t = Tally::default();
    for (line, found) in lines.iter().zip(findings) {
        if line.negative.is_some() {
            t.negatives.0 += 1;
            t.negatives.1 += u32::from(found.spans.is_empty());
        }
        for label in &line.pii {
            let entry = t.recall.entry(label.kind.clone()).or_default();
            entry.0 += 1;
            entry.1 += u32::from(covered(&found.spans, label.start, label.end));
            let overlapping = found
                .spans
                .iter()
                .filter(|s| s.start < label.end && label.start < s.end);
            if ours
                && overlapping.clone().next().is_some()
                && !overlapping.clone().any(|s| same_tag(&s.kind, &label.kind))
            {
                t.wrong_tag += 1;
            }
        }
        for span in &found.spans {
            let on_pii = line
                .pii
                .iter()
                .any(|l| span.start < l.end && l.start < span.end);
            let entry = t.precision.entry(span.kind.clone()).or_default();
            entry.0 += 1;
            entry.1 += u32::from(on_pii);
        }
    }
    t
}

fn same_tag(found: &str, labelled: &str) -> bool {
    let tag = |k: &str| k.parse::<modicum_core::PiiKind>().map(|k| k.tag());
    tag(found).is_ok() && tag(found) == tag(labelled)
}

/// Whether the spans together cover every byte of `start..end`.
fn covered(spans: &[Finding], start: usize, end: usize) -> bool {
    let mut sorted: Vec<&Finding> = spans
        .iter()
        .filter(|s| s.end > start && s.start < end)
        .collect();
    sorted.sort_by_key(|s| s.start);
    let mut at = start;
    for s in sorted {
        if s.start > at {
            return false;
        }
        at = at.max(s.end);
    }
    at >= end
}

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", 100.0 * f64::from(part) / f64::from(whole))
    }
}

fn print_report(
    detectors: &[(String, Tally)],
    lines: usize,
    bytes: usize,
    elapsed: std::time::Duration,
) {
    println!(
        "corpus: {lines} lines, {bytes} bytes; modicum scrubbed it in {:.1} ms ({:.1} MB/s)\n",
        elapsed.as_secs_f64() * 1e3,
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
    let names: Vec<&str> = detectors.iter().map(|(n, _)| n.as_str()).collect();
    println!("Recall: labelled pieces of personal data entirely removed, per family.\n");
    println!("| family | labelled | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(names.len()));
    let ours = &detectors[0].1;
    for (kind, &(total, _)) in &ours.recall {
        let cells: Vec<String> = detectors
            .iter()
            .map(|(_, t)| {
                let (total, hit) = t.recall.get(kind).copied().unwrap_or_default();
                percent(hit, total)
            })
            .collect();
        println!("| `{kind}` | {total} | {} |", cells.join(" | "));
    }
    let all = |t: &Tally| {
        t.recall
            .values()
            .fold((0, 0), |(a, b), &(x, y)| (a + x, b + y))
    };
    let cells: Vec<String> = detectors
        .iter()
        .map(|(_, t)| {
            let (total, hit) = all(t);
            percent(hit, total)
        })
        .collect();
    println!("| all | {} | {} |", all(ours).0, cells.join(" | "));
    println!("\nPrecision: hard-negative lines left exactly as written, and findings that fell on labelled personal data.\n");
    println!("| detector | hard negatives unchanged | findings on personal data | tag names another kind |");
    println!("|---|---|---|---|");
    for (name, t) in detectors {
        let (reported, on_pii) = t
            .precision
            .values()
            .fold((0, 0), |(a, b), &(x, y)| (a + x, b + y));
        let wrong = if name == "modicum" {
            t.wrong_tag.to_string()
        } else {
            "—".to_owned()
        };
        println!(
            "| {name} | {} of {} ({}) | {on_pii} of {reported} ({}) | {wrong} |",
            t.negatives.1,
            t.negatives.0,
            percent(t.negatives.1, t.negatives.0),
            percent(on_pii, reported),
        );
    }
    println!("\nPrecision of modicum per family it reported (findings on personal data / all).\n");
    println!("| family | reported | on personal data | precision |");
    println!("|---|---|---|---|");
    for (kind, &(reported, hit)) in &ours.precision {
        println!(
            "| `{kind}` | {reported} | {hit} | {} |",
            percent(hit, reported)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{covered, filter, Finding};

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

    #[test]
    fn coverage_needs_every_byte() {
        let f = |start, end| Finding {
            start,
            end,
            kind: "x".into(),
        };
        assert!(covered(&[f(0, 5), f(5, 9)], 2, 9));
        assert!(!covered(&[f(0, 5), f(6, 9)], 2, 9));
        assert!(!covered(&[], 2, 9));
    }
}
