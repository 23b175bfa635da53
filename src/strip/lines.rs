//! Line numbers for audit events, from byte offsets, in bounded memory and nearly free.
//!
//! The last ~32 KiB of input chunks are kept (as shared `Bytes`, so no copy when the caller
//! hands `Bytes` in), each with the number of lines before it. An event (rare) counts the
//! newlines in the part of one chunk before its offset. Older offsets (an element whose start
//! tag is longer than the window) get the window's first line.

use bytes::Bytes;
use std::collections::VecDeque;

/// Input kept for line lookups, at least.
const KEEP: usize = 32 * 1024;

struct Chunk {
    start: usize,
    lines_before: usize,
    bytes: Bytes,
}

pub(crate) struct LineIndex {
    chunks: VecDeque<Chunk>,
    kept: usize,
    fed: usize,
    lines: usize,
}

impl LineIndex {
    pub fn new() -> LineIndex {
        LineIndex { chunks: VecDeque::new(), kept: 0, fed: 0, lines: 0 }
    }

    pub fn feed(&mut self, bytes: Bytes) {
        let n = bytes.len();
        let newlines = bytecount::count(&bytes, b'\n');
        self.chunks.push_back(Chunk { start: self.fed, lines_before: self.lines, bytes });
        self.fed += n;
        self.lines += newlines;
        self.kept += n;
        while self.chunks.front().is_some_and(|c| self.kept - c.bytes.len() >= KEEP) {
            if let Some(c) = self.chunks.pop_front() {
                self.kept -= c.bytes.len();
            }
        }
    }

    /// Bytes fed so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    /// 1-based line of byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        if offset >= self.fed {
            return self.lines + 1;
        }
        let i = self.chunks.partition_point(|c| c.start <= offset);
        let Some(c) = i.checked_sub(1).and_then(|i| self.chunks.get(i)) else {
            return self.chunks.front().map_or(self.lines, |c| c.lines_before) + 1;
        };
        c.lines_before + bytecount::count(&c.bytes[..offset - c.start], b'\n') + 1
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;
    use bytes::Bytes;

    fn check(text: &[u8], chunk: usize, offsets: &[usize]) {
        let mut l = LineIndex::new();
        for c in text.chunks(chunk) {
            l.feed(Bytes::copy_from_slice(c));
        }
        for &offset in offsets {
            let want = text[..offset].iter().filter(|&&c| c == b'\n').count() + 1;
            assert_eq!(l.line_at(offset), want, "offset {offset}, chunk {chunk}");
        }
    }

    #[test]
    fn lines_across_chunks() {
        let text = b"a\nbc\n\nd";
        for chunk in 1..8 {
            check(text, chunk, &[0, 1, 2, 5, 6, 7]);
        }
    }

    #[test]
    fn lines_past_the_window() {
        let text: Vec<u8> = (0..300_000).map(|i| if i % 10 == 9 || i % 97 == 0 { b'\n' } else { b'x' }).collect();
        for chunk in [1, 63, 64, 777, 65536] {
            check(&text, chunk, &[299_999, 300_000, 290_000, 280_001, 270_000]);
        }
    }
}
