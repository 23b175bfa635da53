//! The list built into the binary: EasyPrivacy as published (`rules/lists/easyprivacy.txt`,
//! unmodified; by The EasyList authors, GPL-3.0-or-later or CC BY-SA 3.0-or-later). `serve`
//! keeps it fresh from its official address; a downloaded copy replaces the snapshot only when
//! it is a valid list with a later `! Version:`.

use super::header::ListHeader;
use super::{ListOrigin, ListText, is_network_filter};
use std::borrow::Cow;
use std::path::Path;

/// How the built-in list is cited: `easyprivacy.txt:LINE`.
pub const NAME: &str = "easyprivacy.txt";
/// Where its publisher keeps it; `serve` subscribes to this address.
pub const URL: &str = "https://easylist.to/easylist/easyprivacy.txt";
/// Its licence, as the list's own page states it.
pub const LICENCE: &str = "GPL-3.0-or-later OR CC-BY-SA-3.0-or-later (https://easylist.to/pages/licence.html)";

const SNAPSHOT: &str = include_str!("../../../rules/lists/easyprivacy.txt");

/// The snapshot in the binary.
pub fn snapshot() -> ListText {
    ListText { name: NAME.into(), text: Cow::Borrowed(SNAPSHOT), origin: ListOrigin::Builtin }
}

pub fn snapshot_header() -> ListHeader {
    ListHeader::read(SNAPSHOT)
}

/// The built-in list in force: a downloaded copy at `copy` when it is usable and newer than
/// the snapshot, else the snapshot. A copy that can't be used is logged and ignored: the
/// snapshot always works.
pub fn current(copy: Option<&Path>) -> ListText {
    let Some(path) = copy.filter(|p| p.exists()) else { return snapshot() };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("{}: cannot read the downloaded {NAME} ({e}); using the built-in snapshot", path.display());
            return snapshot();
        }
    };
    if !text.lines().any(is_network_filter) {
        tracing::warn!("{}: not a filter list; using the built-in snapshot", path.display());
        return snapshot();
    }
    if !ListHeader::read(&text).newer_than(&snapshot_header()) {
        return snapshot();
    }
    ListText { name: NAME.into(), text: Cow::Owned(text), origin: ListOrigin::Downloaded(path.to_path_buf()) }
}

/// After the rules are built the snapshot's text is not read again, but the pages of the
/// binary that hold it (1.5 MB) stay resident. They are clean and file-backed: let the kernel
/// drop them (read back from the binary should anything touch them again). A long-running
/// `serve` calls this after each build; nothing changes for the program.
pub fn release_snapshot_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf only reads a system constant.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096).max(1);
        let start = SNAPSHOT.as_ptr() as usize;
        let (first, last) = (start.div_ceil(page) * page, (start + SNAPSHOT.len()) / page * page);
        if last > first {
            // SAFETY: the range lies inside a read-only, file-backed mapping of the binary;
            // MADV_DONTNEED on it only discards clean pages, which fault back unchanged.
            unsafe {
                libc::madvise(first as *mut libc::c_void, last - first, libc::MADV_DONTNEED);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_reads_the_same_after_its_pages_are_released() {
        let before = snapshot_header();
        release_snapshot_pages();
        assert_eq!(snapshot_header(), before);
        assert!(SNAPSHOT.ends_with('\n') && SNAPSHOT.lines().count() > 50_000);
    }

    #[test]
    fn the_snapshot_is_easyprivacy_with_a_version() {
        let h = snapshot_header();
        assert_eq!(h.title.as_deref(), Some("EasyPrivacy"));
        assert!(h.version.as_deref().is_some_and(|v| v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn a_downloaded_copy_is_used_only_when_newer_and_valid() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("copy.txt");
        assert!(matches!(current(Some(&p)).origin, ListOrigin::Builtin), "missing");
        std::fs::write(&p, "<!DOCTYPE html><p>error").unwrap();
        assert!(matches!(current(Some(&p)).origin, ListOrigin::Builtin), "not a list");
        std::fs::write(&p, "! Title: EasyPrivacy\n! Version: 202001010000\n||old.example^\n").unwrap();
        assert!(matches!(current(Some(&p)).origin, ListOrigin::Builtin), "older");
        std::fs::write(&p, "! Title: EasyPrivacy\n! Version: 209901010000\n||new.example^\n").unwrap();
        let t = current(Some(&p));
        assert!(matches!(t.origin, ListOrigin::Downloaded(_)));
        assert_eq!(t.name, NAME);
    }
}
