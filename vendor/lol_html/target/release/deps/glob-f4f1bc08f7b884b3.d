/work/main/vendor/lol_html/target/release/deps/glob-f4f1bc08f7b884b3.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/glob-0.3.4/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libglob-f4f1bc08f7b884b3.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/glob-0.3.4/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libglob-f4f1bc08f7b884b3.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/glob-0.3.4/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/glob-0.3.4/src/lib.rs:
