//! Line numbers for audit events, from byte offsets, in bounded memory.

use std::collections::VecDeque;

/// Remembers where the most recent newlines were, so an element's byte offset can be turned
/// into a line number. Keeps at most `cap` positions: pages with millions of lines stay cheap,
/// and elements are always near the bytes just fed.
pub(crate) struct LineIndex {
    newlines: VecDeque<usize>,
    forgotten: usize,
    fed: usize,
    cap: usize,
}

impl LineIndex {
    pub fn new() -> LineIndex {
        LineIndex {
            newlines: VecDeque::new(),
            forgotten: 0,
            fed: 0,
            cap: 1 << 16,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        for i in memchr::memchr_iter(b'\n', chunk) {
            if self.newlines.len() == self.cap {
                self.newlines.pop_front();
                self.forgotten += 1;
            }
            self.newlines.push_back(self.fed + i);
        }
        self.fed += chunk.len();
    }

    /// 1-based line of byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.forgotten + self.newlines.partition_point(|&n| n < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn lines_across_chunks() {
        let mut l = LineIndex::new();
        l.feed(b"a\nb");
        l.feed(b"c\n\nd");
        assert_eq!(l.line_at(0), 1);
        assert_eq!(l.line_at(2), 2);
        assert_eq!(l.line_at(5), 3);
        assert_eq!(l.line_at(7), 4);
    }
}
