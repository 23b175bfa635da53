/work/main/vendor/lol_html/target/release/deps/web_atoms-cd8c51a7f5000163.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/web_atoms-0.2.6/lib.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/named_entities.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/generated.rs

/work/main/vendor/lol_html/target/release/deps/libweb_atoms-cd8c51a7f5000163.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/web_atoms-0.2.6/lib.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/named_entities.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/generated.rs

/work/main/vendor/lol_html/target/release/deps/libweb_atoms-cd8c51a7f5000163.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/web_atoms-0.2.6/lib.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/named_entities.rs /work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/generated.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/web_atoms-0.2.6/lib.rs:
/work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/named_entities.rs:
/work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out/generated.rs:

# env-dep:OUT_DIR=/work/main/vendor/lol_html/target/release/build/web_atoms-d3303c99ba6588a6/out
