//! Where a value sits inside a tool's result, written as Python code that reaches it:
//! `result["items"][3]["created_at"]`, the root being `result`.
//!
//! (Argument paths, `items[3].created_at`, are written for a model; these are for the developer
//! whose tool returned the value.)

use std::fmt;

use super::escape::json_string;

pub const ROOT: &str = "result";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// A string key, or a field of a dataclass, model or NamedTuple.
    Key(String),
    /// A position in a list, tuple or set (for a set, in the order written).
    Index(usize),
    /// A dict key that is not a string, as Python's `repr` shows it (`3`, `None`, `(1, 2)`).
    PythonKey(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultPath {
    segments: Vec<PathSegment>,
}

impl ResultPath {
    /// From segments collected innermost first, as an error travels out of the walk.
    pub fn from_innermost_first(mut segments: Vec<PathSegment>) -> Self {
        segments.reverse();
        ResultPath { segments }
    }

    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// The path made of the first `length` segments (`prefix(0)` is the root).
    pub fn prefix(&self, length: usize) -> ResultPath {
        ResultPath {
            segments: self.segments[..length.min(self.segments.len())].to_vec(),
        }
    }
}

impl fmt::Display for ResultPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ROOT)?;
        for segment in &self.segments {
            match segment {
                PathSegment::Key(key) => write!(f, "[{}]", json_string(key))?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
                PathSegment::PythonKey(repr) => write!(f, "[{repr}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_python_code() {
        let path = ResultPath::from_innermost_first(vec![
            PathSegment::Key("created_at".into()),
            PathSegment::Index(3),
            PathSegment::Key("items".into()),
        ]);
        assert_eq!(path.to_string(), r#"result["items"][3]["created_at"]"#);
        assert_eq!(ResultPath::default().to_string(), "result");
        let odd = ResultPath::from_innermost_first(vec![
            PathSegment::Key("a\"b".into()),
            PathSegment::PythonKey("(1, 2)".into()),
        ]);
        assert_eq!(odd.to_string(), r#"result[(1, 2)]["a\"b"]"#);
        assert_eq!(path.prefix(1).to_string(), r#"result["items"]"#);
        assert_eq!(path.prefix(0).to_string(), "result");
    }
}
