//! Parsing the library's named values (metrics, models, modes) on the command line: each
//! type names its own values (`Display`), so the names, the parser and `--help`'s list of
//! possible values come from one place.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use std::fmt::Display;

/// A value parser accepting exactly the names of `all` (as `Display` writes them), listed
/// as the possible values in `--help`.
pub fn one_of<T>(all: &'static [T]) -> impl TypedValueParser<Value = T>
where
    T: Copy + Display + Send + Sync + 'static,
{
    let names: Vec<String> = all.iter().map(ToString::to_string).collect();
    PossibleValuesParser::new(names).try_map(move |name: String| {
        all.iter()
            .copied()
            .find(|v| v.to_string() == name)
            .ok_or_else(|| format!("unknown value {name:?}"))
    })
}
