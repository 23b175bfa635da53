//! Shared by the benches and `examples/corpus_pass.rs`: the floors stripping is measured against.
//! (Not in the library: an extra lol_html instantiation there shifts how the stripper itself is
//! compiled, by about 0.4% of its instructions.)

use lol_html::send::Settings;
use trackstrip::strip::selectors::SELECTORS;

/// lol_html settings with trackstrip's selectors and handlers that do nothing: the
/// "empty-handler floor" (the cost of matching alone).
pub fn empty_handler_settings() -> Settings<'static, 'static> {
    SELECTORS.iter().fold(Settings::new_send(), |settings, &(sel, _)| {
        settings.append_element_content_handler(lol_html::element!(sel, |_el| Ok(())))
    })
}
