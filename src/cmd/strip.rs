//! `trackstrip strip`: a file or stdin in, the stripped page out on stdout, streaming.

use super::{CmdError, load_rules, read_up_to};
use crate::cli::StripArgs;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use trackstrip::charset::PRESCAN_BYTES;
use trackstrip::policy::PageContext;
use trackstrip::strip::{StripOptions, Stripper};

const CHUNK: usize = 64 * 1024;

pub fn run(args: &StripArgs) -> Result<ExitCode, CmdError> {
    if let (Some(events), Some(input)) = (&args.events, &args.input)
        && super::same_file(events, input)
    {
        return Err(CmdError::Usage(format!(
            "--events {} names the page being stripped; it would be overwritten. Name another file",
            events.display()
        )));
    }
    let rules = Arc::new(load_rules(&args.rules)?);
    let page = match &args.url {
        Some(u) => PageContext::new(u).map_err(CmdError::Usage)?,
        None => PageContext::unknown(),
    };
    let name = args.input.as_ref().map_or("stdin".to_string(), |p| p.display().to_string());
    // --resolve-cnames reads the page twice: once to look its hosts up, once to strip it.
    let resolving = super::cnames::start(&args.cnames)?;
    let (mut input, _spooled) = super::cnames::open_page(resolving.as_ref(), &rules, &page, args.input.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(CHUNK, stdout.lock());

    // The first bytes decide the encoding; they are bounded, the rest streams.
    let mut buf = vec![0u8; CHUNK];
    let mut n =
        read_up_to(&mut input, &mut buf[..PRESCAN_BYTES]).map_err(CmdError::io(format!("cannot read {name}")))?;
    // A --charset given on the command line beats whatever the page says.
    let head: &[u8] = if args.charset.is_some() { &[] } else { &buf[..n] };
    let opts = match StripOptions::for_page(head, args.charset.as_deref()) {
        Ok(opts) => opts,
        Err(enc) => {
            tracing::warn!(
                encoding = enc.name(),
                "this encoding can't be rewritten; passing the page through unchanged"
            );
            loop {
                out.write_all(&buf[..n]).map_err(CmdError::io("cannot write to stdout"))?;
                n = read_up_to(&mut input, &mut buf).map_err(CmdError::io(format!("cannot read {name}")))?;
                if n == 0 {
                    out.flush().map_err(CmdError::io("cannot write to stdout"))?;
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    let cnames = resolving.as_ref().map(|r| r.dns.clone());
    let opts = StripOptions {
        enforce: !args.report_only,
        track_lines: args.events.is_some(),
        cnames,
        social: !args.keep_social,
        ..opts
    };
    let mut stripper = Stripper::new(rules, page, opts);
    while n > 0 {
        let produced = stripper.write(&buf[..n]);
        out.write_all(&produced).map_err(CmdError::io("cannot write to stdout"))?;
        out.flush().map_err(CmdError::io("cannot write to stdout"))?;
        n = read_up_to(&mut input, &mut buf).map_err(CmdError::io(format!("cannot read {name}")))?;
    }
    let done = stripper.finish();
    out.write_all(&done.tail).map_err(CmdError::io("cannot write to stdout"))?;
    out.flush().map_err(CmdError::io("cannot write to stdout"))?;
    if let Some(path) = &args.events {
        let mut lines = Vec::new();
        for ev in &done.events {
            serde_json::to_writer(&mut lines, ev).map_err(|e| CmdError::Usage(e.to_string()))?;
            lines.push(b'\n');
        }
        std::fs::write(path, lines).map_err(CmdError::io(format!("cannot write {}", path.display())))?;
    }
    tracing::info!(
        page = %name,
        removed = done.stats.removed,
        pings = done.stats.pings,
        cleaned = done.stats.cleaned,
        trackers = done.stats.trackers,
        "stripped"
    );
    Ok(ExitCode::SUCCESS)
}
