//! `trackstrip rules check`: placeholder, filled in below.
