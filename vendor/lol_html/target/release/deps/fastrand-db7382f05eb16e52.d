/work/main/vendor/lol_html/target/release/deps/fastrand-db7382f05eb16e52.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fastrand-2.5.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libfastrand-db7382f05eb16e52.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fastrand-2.5.0/src/lib.rs

/work/main/vendor/lol_html/target/release/deps/libfastrand-db7382f05eb16e52.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fastrand-2.5.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/fastrand-2.5.0/src/lib.rs:
