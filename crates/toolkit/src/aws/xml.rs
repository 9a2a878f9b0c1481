//! The XML answers of AWS Query services as a small tree: each element's local name,
//! its text (entities decoded) and its child elements. Enough for the few answers
//! cairn reads (`call`); attributes and namespaces are dropped.

use xmlparser::{ElementEnd, Token, Tokenizer};

/// One element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlNode {
    /// The local name (`Status`, `member`).
    pub name: String,
    /// Its text, when it holds text.
    pub text: String,
    /// Its child elements, in order.
    pub children: Vec<XmlNode>,
}

impl XmlNode {
    /// The document's root element.
    pub fn parse(doc: &str) -> Result<XmlNode, String> {
        let mut stack: Vec<XmlNode> = Vec::new();
        let mut root: Option<XmlNode> = None;
        for token in Tokenizer::from(doc) {
            match token.map_err(|e| e.to_string())? {
                Token::ElementStart { local, .. } => stack.push(XmlNode {
                    name: local.as_str().to_string(),
                    ..XmlNode::default()
                }),
                Token::ElementEnd { end, .. } => {
                    if matches!(end, ElementEnd::Open) {
                        continue;
                    }
                    let done = stack.pop().ok_or("a closing tag without an opening one")?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => root = Some(done),
                    }
                }
                Token::Text { text } => {
                    if let Some(open) = stack.last_mut() {
                        open.text.push_str(&unescape(text.as_str()));
                    }
                }
                Token::Cdata { text, .. } => {
                    if let Some(open) = stack.last_mut() {
                        open.text.push_str(text.as_str());
                    }
                }
                _ => {}
            }
        }
        if !stack.is_empty() {
            return Err(format!("`<{}>` is not closed", stack[stack.len() - 1].name));
        }
        root.ok_or_else(|| "no element".to_string())
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The first element named `name` at any depth below this one (depth first).
    pub fn find(&self, name: &str) -> Option<&XmlNode> {
        self.children
            .iter()
            .find_map(|c| if c.name == name { Some(c) } else { c.find(name) })
    }

    /// Every element named `name` at any depth below this one, in document order
    /// (not below a match).
    pub fn find_all<'a>(&'a self, name: &str) -> Vec<&'a XmlNode> {
        let mut out = Vec::new();
        self.collect(name, &mut out);
        out
    }

    fn collect<'a>(&'a self, name: &str, out: &mut Vec<&'a XmlNode>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            } else {
                c.collect(name, out);
            }
        }
    }
}

/// XML's five entities and numeric character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let entity = &after[..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..at + 2 + end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_trees_with_decoded_text() {
        let doc = r#"<?xml version="1.0"?>
            <DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
              <DescribeAlarmsResult><MetricAlarms>
                <member><AlarmName>shop-a&amp;b &#x263A;</AlarmName><Dimensions><member><Name>X</Name></member></Dimensions><StateValue>ALARM</StateValue></member>
                <member><AlarmName>shop-ok</AlarmName><StateValue>OK</StateValue><Empty/></member>
              </MetricAlarms></DescribeAlarmsResult>
            </DescribeAlarmsResponse>"#;
        let root = XmlNode::parse(doc).expect("parses");
        assert_eq!(root.name, "DescribeAlarmsResponse");
        let alarms = root.find("MetricAlarms").expect("MetricAlarms");
        let names: Vec<(&str, &str)> = alarms
            .children
            .iter()
            .map(|m| (m.child_text("AlarmName").unwrap_or(""), m.child_text("StateValue").unwrap_or("")))
            .collect();
        assert_eq!(names, vec![("shop-a&b \u{263A}", "ALARM"), ("shop-ok", "OK")]);
        // find_all does not descend into a match: the dimension's member is not an alarm.
        assert_eq!(root.find_all("member").len(), 2);
    }

    #[test]
    fn broken_documents_are_errors() {
        assert!(XmlNode::parse("<a><b></b>").is_err());
        assert!(XmlNode::parse("not xml").is_err());
        assert_eq!(unescape("a &unknown; b &lt;"), "a &unknown; b <");
    }
}
