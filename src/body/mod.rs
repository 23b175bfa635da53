//! Response bodies: undo and redo Content-Encoding around the stripper, streaming.

mod coding;
mod cut;
mod inline;
pub mod pipeline;
pub mod probe;

pub use coding::{Coding, decoder, encoder};
