//! Where rule files come from: the copies built into the binary, and `--rules DIR`.

use super::error::RuleError;
use std::path::Path;

/// What a rule file holds; each kind has one bundled file in rules/.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Trackers,
    Snippets,
    Params,
    Pixels,
    Allow,
    SkipIntercept,
    Redirects,
    Social,
}

impl RuleKind {
    pub const ALL: [RuleKind; 8] = [
        RuleKind::Trackers,
        RuleKind::Snippets,
        RuleKind::Params,
        RuleKind::Pixels,
        RuleKind::Allow,
        RuleKind::SkipIntercept,
        RuleKind::Redirects,
        RuleKind::Social,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            RuleKind::Trackers => "trackers.toml",
            RuleKind::Snippets => "snippets.toml",
            RuleKind::Params => "params.toml",
            RuleKind::Pixels => "pixels.toml",
            RuleKind::Allow => "allow.toml",
            RuleKind::SkipIntercept => "skip-intercept.toml",
            RuleKind::Redirects => "redirects.toml",
            RuleKind::Social => "social.toml",
        }
    }

    /// `trackers.toml` replaces the bundled file; `NAME-trackers.toml` adds to it.
    pub fn from_file_name(name: &str) -> Option<(RuleKind, bool)> {
        RuleKind::ALL.into_iter().find_map(|kind| {
            let base = kind.file_name();
            if name == base {
                Some((kind, true))
            } else if name.ends_with(&format!("-{base}")) {
                Some((kind, false))
            } else {
                None
            }
        })
    }
}

/// One rule file's text and the name it is cited by in audit events and errors.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub kind: RuleKind,
    pub text: String,
}

macro_rules! bundled {
    ($kind:expr, $file:literal) => {
        RuleFile {
            name: concat!("rules/", $file).to_string(),
            kind: $kind,
            text: include_str!(concat!("../../rules/", $file)).to_string(),
        }
    };
}

/// The rule files compiled into the binary, so trackstrip works with no files around.
pub fn bundled() -> Vec<RuleFile> {
    vec![
        bundled!(RuleKind::Trackers, "trackers.toml"),
        bundled!(RuleKind::Snippets, "snippets.toml"),
        bundled!(RuleKind::Params, "params.toml"),
        bundled!(RuleKind::Pixels, "pixels.toml"),
        bundled!(RuleKind::Allow, "allow.toml"),
        bundled!(RuleKind::SkipIntercept, "skip-intercept.toml"),
        bundled!(RuleKind::Redirects, "redirects.toml"),
        bundled!(RuleKind::Social, "social.toml"),
    ]
}

/// Reads one file that the user named, deciding its kind from its file name.
pub fn read_file(path: &Path) -> Result<(RuleFile, bool), RuleError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some((kind, replaces)) = RuleKind::from_file_name(name) else {
        return Err(RuleError::UnknownFile { path: path.to_path_buf(), expected: expected_names() });
    };
    let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read { path: path.to_path_buf(), source })?;
    let file = RuleFile { name: path.display().to_string(), kind, text };
    Ok((file, replaces))
}

/// Overlays `--rules DIR` on `base`: same-named files replace, `NAME-kind.toml` files add.
/// Other files (README.md, surrogate scripts, ...) are left alone.
pub fn overlay_dir(dir: &Path, mut base: Vec<RuleFile>) -> Result<Vec<RuleFile>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|source| RuleError::Read { path: dir.to_path_buf(), source })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let (file, replaces) = read_file(&path)?;
        if replaces {
            base.retain(|f| f.kind != file.kind);
        }
        base.push(file);
    }
    Ok(base)
}

pub fn expected_names() -> String {
    RuleKind::ALL.iter().map(|k| k.file_name()).collect::<Vec<_>>().join(", ") + " (or NAME-<one of these>)"
}

impl RuleFile {
    /// The bundled rule files (to combine with lists or other files).
    pub fn bundled_files() -> Vec<RuleFile> {
        bundled()
    }
}
