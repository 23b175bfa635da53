//! `trackstrip audit FILE|URL|-`: what a page loads, who runs it and why it is flagged.
//! Exit status: 0 no tracker, 1 trackers found, 2 error.

use super::{CmdError, load_rules, read_up_to};
use crate::cli::{AuditArgs, AuditFormat};
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use trackstrip::audit::{AuditReport, FetchOptions, fetch_and_audit};
use trackstrip::charset::PRESCAN_BYTES;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, StripOutput, Stripper};
use trackstrip::upstream::UpstreamOptions;

pub fn run(args: &AuditArgs) -> Result<ExitCode, CmdError> {
    let rules = Arc::new(load_rules(&args.rules)?);
    if args.browser {
        return super::audit_browser::run(args, rules);
    }
    let [target] = args.targets.as_slice() else {
        return Err(CmdError::Usage("audit takes one FILE, URL or - (several URLs need --browser)".into()));
    };
    let target = target.as_str();
    let is_url =
        ["http://", "https://"].iter().any(|p| target.len() > p.len() && target[..p.len()].eq_ignore_ascii_case(p));
    if let Some(out) = &args.output
        && !is_url
        && super::same_file(out, std::path::Path::new(target))
    {
        return Err(CmdError::Usage(format!(
            "--output {} names the page being audited; it would be overwritten. Name another file",
            out.display()
        )));
    }
    let resolving = super::cnames::start(&args.cnames)?;
    let cnames = resolving.as_ref().map(|r| r.dns.clone());
    let (page_url, output) = if is_url {
        let opts = FetchOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            max_redirects: args.max_redirects,
            upstream: UpstreamOptions {
                extra_roots: args.extra_roots.clone(),
                dns: cnames.clone(),
                ..UpstreamOptions::default()
            },
        };
        let rt = match resolving {
            Some(r) => r.rt,
            None => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(CmdError::io("cannot start the async runtime"))?,
        };
        let mut fetched = rt.block_on(fetch_and_audit(target, rules.clone(), &opts))?;
        if let Some(dns) = &cnames {
            // The first load met the page's hosts; the second is judged with their chains.
            rt.block_on(dns.settle());
            fetched = rt.block_on(fetch_and_audit(target, rules.clone(), &opts))?;
        }
        (Some(fetched.final_url), fetched.output)
    } else {
        let page = match &args.url {
            Some(u) => PageContext::new(u).map_err(CmdError::Usage)?,
            None => PageContext::unknown(),
        };
        let path = std::path::Path::new(target);
        let (mut input, _spooled) = super::cnames::open_page(resolving.as_ref(), &rules, &page, Some(path))?;
        let output = audit_reader(&mut input, rules.clone(), page, target, cnames)?;
        (args.url.clone(), output)
    };
    let report =
        AuditReport::new(target.to_string(), page_url, rules.version.clone(), rules.sources.clone(), output.events);
    let text = match args.format {
        AuditFormat::Table => report.to_table(),
        AuditFormat::Json => report.to_json() + "\n",
        AuditFormat::Html => report.to_html(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(CmdError::io(format!("cannot write {}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).map_err(CmdError::io("cannot write to stdout"))?;
            out.flush().map_err(CmdError::io("cannot write to stdout"))?;
        }
    }
    Ok(if report.has_trackers() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Streams a file or stdin through a report-only stripper that lists kept resources too.
fn audit_reader(
    input: &mut dyn Read,
    rules: Arc<Rules>,
    page: PageContext,
    name: &str,
    cnames: Option<Arc<trackstrip::upstream::Dns>>,
) -> Result<StripOutput, CmdError> {
    let mut buf = vec![0u8; 64 * 1024];
    let read_err = || CmdError::io(format!("cannot read {name}"));
    let mut n = read_up_to(input, &mut buf[..PRESCAN_BYTES]).map_err(read_err())?;
    let opts = match StripOptions::for_page(&buf[..n], None) {
        Ok(opts) => StripOptions { enforce: false, report_kept: true, track_lines: true, cnames, ..opts },
        Err(enc) => {
            return Err(CmdError::Usage(format!("{name} is in {}, which trackstrip can't parse", enc.name())));
        }
    };
    let mut stripper = Stripper::new(rules, page, opts);
    while n > 0 {
        stripper.write(&buf[..n]);
        n = read_up_to(input, &mut buf).map_err(read_err())?;
    }
    Ok(stripper.finish())
}
