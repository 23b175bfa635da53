//! `--resolve-cnames` for `strip` and `audit`: saved pages are judged offline by the names
//! they hold, unless asked to look the hosts up. Then a first pass meets the page's hosts and
//! starts their lookups (all at once, each bounded by the lookup deadline), and the real pass
//! judges each host with its CNAME chain known.

use super::CmdError;
use crate::cli::CnameArgs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, Stripper};
use trackstrip::upstream::{Dns, DnsSettings, Pins};

/// A DNS client, and the runtime its lookups run on.
pub struct Resolving {
    pub rt: tokio::runtime::Runtime,
    pub dns: Arc<Dns>,
}

/// The DNS client `--resolve-cnames` asks for (`--dns-server`, else the system's), if it was.
pub fn dns(args: &CnameArgs, pins: Pins) -> Result<Option<Arc<Dns>>, CmdError> {
    if !args.resolve_cnames {
        return Ok(None);
    }
    let settings = DnsSettings { servers: args.dns_servers.clone(), ..DnsSettings::default() };
    let dns = Dns::new(&settings, pins).map_err(|e| CmdError::Usage(e.to_string()))?;
    Ok(Some(Arc::new(dns)))
}

/// The resolver `--resolve-cnames` asks for, with a runtime for its lookups, if it was.
pub fn start(args: &CnameArgs) -> Result<Option<Resolving>, CmdError> {
    let Some(dns) = dns(args, Pins::default())? else { return Ok(None) };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CmdError::io("cannot start the async runtime"))?;
    Ok(Some(Resolving { rt, dns }))
}

/// The page at `input` (a file, or stdin for none or `-`), ready to read. With a resolver, a
/// first pass has looked up its hosts (stdin is saved to a temporary file for it, returned so
/// it lives as long as the reader).
pub fn open_page(
    resolving: Option<&Resolving>,
    rules: &Arc<Rules>,
    page: &PageContext,
    input: Option<&Path>,
) -> Result<(Box<dyn Read>, Option<tempfile::TempPath>), CmdError> {
    let Some(r) = resolving else { return Ok((super::open_input(input)?, None)) };
    let (path, spooled) = rereadable(input)?;
    r.warm(rules.clone(), page.clone(), &path)?;
    Ok((super::open_input(Some(&path))?, spooled))
}

impl Resolving {
    /// Reads the page at `path` once, looking up every host it names; returns when the
    /// lookups have ended.
    pub fn warm(&self, rules: Arc<Rules>, page: PageContext, path: &Path) -> Result<(), CmdError> {
        let mut file = std::fs::File::open(path).map_err(CmdError::io(format!("cannot open {}", path.display())))?;
        let _in_runtime = self.rt.enter();
        let opts = StripOptions { enforce: false, cnames: Some(self.dns.clone()), ..StripOptions::default() };
        let mut stripper = Stripper::new(rules, page, opts);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(CmdError::io(format!("cannot read {}", path.display())))?;
            if n == 0 {
                break;
            }
            stripper.write(&buf[..n]);
        }
        drop(stripper.finish());
        self.rt.block_on(self.dns.settle());
        Ok(())
    }
}

/// A page that can be read twice: the file itself, or stdin saved to a temporary file.
fn rereadable(input: Option<&Path>) -> Result<(PathBuf, Option<tempfile::TempPath>), CmdError> {
    match input {
        Some(p) if p.as_os_str() != "-" => Ok((p.to_path_buf(), None)),
        _ => {
            let mut tmp = tempfile::NamedTempFile::new().map_err(CmdError::io("cannot create a temporary file"))?;
            std::io::copy(&mut std::io::stdin().lock(), &mut tmp).map_err(CmdError::io("cannot read stdin"))?;
            let path = tmp.into_temp_path();
            Ok((path.to_path_buf(), Some(path)))
        }
    }
}
