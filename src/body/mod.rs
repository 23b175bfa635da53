//! Response bodies: undo and redo Content-Encoding around the stripper, streaming.

mod coding;
pub mod pipeline;

pub use coding::{Coding, decoder, encoder};
