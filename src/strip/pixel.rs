//! The tracking-pixel heuristic: tiny or hidden third-party images that no rule names.

use crate::rules::{PixelRules, RuleRef};
use lol_html::send::Element;

/// The pixel rule this image trips, if any. The caller has already checked that it is
/// third-party and that no host rule names it.
pub(crate) fn pixel_rule<'r>(rules: &'r PixelRules, el: &Element<'_, '_>, path: &str) -> Option<&'r RuleRef> {
    if rules.max_size == 0 && rules.hidden_styles.is_empty() {
        return None;
    }
    // No size and no style: nothing to judge (most images; no attribute is copied out).
    let sized = el.has_attribute("width") && el.has_attribute("height");
    if !sized && !el.has_attribute("style") {
        return None;
    }
    // Responsive content images sometimes carry width=1 height=1 as placeholders.
    if el.has_attribute("sizes") {
        return None;
    }
    if let Some(srcset) = el.get_attribute_cow("srcset")
        && srcset.split(',').filter(|c| !c.trim().is_empty()).count() > 1
    {
        return None;
    }
    let style = el
        .get_attribute_cow("style")
        .map(|s| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase())
        .unwrap_or_default();
    let width = el.get_attribute_cow("width").and_then(|v| px(&v)).or_else(|| style_px(&style, "width:"));
    let height = el.get_attribute_cow("height").and_then(|v| px(&v)).or_else(|| style_px(&style, "height:"));
    if let (Some(w), Some(h)) = (width, height)
        && w <= rules.max_size
        && h <= rules.max_size
    {
        return Some(&rules.size_rule);
    }
    if !style.is_empty() && rules.style_hides(&style) && rules.looks_like_beacon(path) {
        return Some(&rules.hidden_rule);
    }
    None
}

/// `1`, `1px`, ` 0 ` → pixels; anything else (`100%`, `auto`, `1em`) → None.
fn px(v: &str) -> Option<u32> {
    let v = v.trim();
    let v = v.strip_suffix("px").unwrap_or(v).trim();
    let v = v.strip_suffix(".0").unwrap_or(v);
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// `width:1px` inside a whitespace-free, lowercased style (not `max-width:`).
fn style_px(style: &str, prop: &str) -> Option<u32> {
    let mut from = 0;
    while let Some(i) = style[from..].find(prop) {
        let at = from + i;
        let standalone = at == 0 || matches!(style.as_bytes()[at - 1], b';' | b'{');
        if standalone {
            let rest = &style[at + prop.len()..];
            let value = rest.split([';', '!']).next().unwrap_or("");
            return px(value);
        }
        from = at + prop.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{px, style_px};

    #[test]
    fn pixel_sizes() {
        assert_eq!(px("1"), Some(1));
        assert_eq!(px(" 0px "), Some(0));
        assert_eq!(px("1.0"), Some(1));
        assert_eq!(px("100%"), None);
        assert_eq!(px("1em"), None);
        assert_eq!(style_px("display:none;width:1px;height:1px", "width:"), Some(1));
        assert_eq!(style_px("max-width:1px", "width:"), None);
        assert_eq!(style_px("width:1px!important", "width:"), Some(1));
    }
}
