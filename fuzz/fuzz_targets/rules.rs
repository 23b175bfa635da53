//! Rule files and ABP lists from arbitrary text: parse errors are fine, panics are not. What is
//! done with the text is in fuzz/shared/rules.rs, shared with the stable replay of the corpus
//! (tests/fuzz_corpus.rs).
#![no_main]

#[path = "../shared/rules.rs"]
mod rules;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rules::check(data);
});
