/work/main/vendor/lol_html/target/release/deps/servo_arc-f989156944025735.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/servo_arc-0.4.3/lib.rs

/work/main/vendor/lol_html/target/release/deps/libservo_arc-f989156944025735.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/servo_arc-0.4.3/lib.rs

/work/main/vendor/lol_html/target/release/deps/libservo_arc-f989156944025735.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/servo_arc-0.4.3/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/servo_arc-0.4.3/lib.rs:
