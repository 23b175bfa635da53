//! The rewriter on arbitrary bytes, fed whole and in chunks. The input's layout (option bytes,
//! chunk seed, page) and the checks are in fuzz/shared/strip.rs, shared with the stable replay
//! of the corpus (tests/fuzz_corpus.rs).
#![no_main]

#[path = "../shared/strip.rs"]
mod strip;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = strip::check(data) {
        panic!("{e}");
    }
});
