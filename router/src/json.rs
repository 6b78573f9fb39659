//! The response tree. Subgraph bodies are parsed in place (keys and strings borrow from the
//! body) into immutable trees that the request keeps alive until its response is written. The
//! response tree refers to their subtrees with [`Value::Ref`] instead of copying them, and
//! copies one level at a time only where a later merge writes into a shared subtree
//! ([`Value::make_mut`]). Objects are small vectors searched linearly: response objects have a
//! handful of keys, where hashing every key (as `serde_json::Map` does) costs more than
//! comparing a few short strings.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

pub type Str<'a> = Cow<'a, str>;

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// Borrowed strings are only ever borrowed from JSON bodies (where they had no escapes),
    /// so they are written back without escaping.
    String(Str<'a>),
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
    /// A subtree of an immutable parsed response, shared instead of copied. Only arrays and
    /// objects are shared this way; readers look through it with [`Value::resolve`].
    Ref(&'a Value<'a>),
    /// One of several identical subtrees of a parsed response, stored once (see
    /// [`share_repeated_subtrees`]). Readers look through it like through [`Value::Ref`].
    Shared(Arc<Value<'a>>),
}

/// A JSON object in key order. Duplicate keys in a body are kept; lookups see the first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(Vec<(Str<'a>, Value<'a>)>);

impl<'a> Object<'a> {
    pub fn with_capacity(capacity: usize) -> Self {
        Object(Vec::with_capacity(capacity))
    }

    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'a>> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, keeping its position when it is already there.
    pub fn insert(&mut self, key: Str<'a>, value: Value<'a>) {
        match self.get_mut(&key) {
            Some(existing) => *existing = value,
            None => self.0.push((key, value)),
        }
    }

    /// Makes room for `additional` more members.
    pub fn reserve(&mut self, additional: usize) {
        self.0.reserve_exact(additional);
    }

    /// Appends without looking for an existing key (the caller knows it is new).
    pub fn push(&mut self, key: Str<'a>, value: Value<'a>) {
        self.0.push((key, value));
    }

    pub fn remove(&mut self, key: &str) -> Option<Value<'a>> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(index).1)
    }

    /// Keys and values in order.
    pub fn entries(&self) -> impl Iterator<Item = (&Str<'a>, &Value<'a>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> Value<'a> {
    /// The value itself, looking through shared references.
    pub fn resolve(&self) -> &Value<'a> {
        match self {
            Value::Ref(shared) => shared.resolve_shared(),
            Value::Shared(shared) => shared.resolve(),
            other => other,
        }
    }

    fn resolve_shared(&'a self) -> &'a Value<'a> {
        match self {
            Value::Ref(shared) => shared.resolve_shared(),
            Value::Shared(shared) => shared.resolve_shared(),
            other => other,
        }
    }

    /// A value for `source` inside another tree: containers are shared, scalars copied. A
    /// reference to a [`Value::Shared`] node keeps pointing at that node, so readers can tell
    /// content that repeats (see [`Value::is_repeated`]).
    pub fn shared(source: &'a Value<'a>) -> Value<'a> {
        match source {
            Value::Ref(shared) => Value::shared(shared),
            Value::Shared(_) | Value::Array(_) | Value::Object(_) => Value::Ref(source),
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Number(n) => Value::Number(n.clone()),
            Value::String(s) => Value::String(s.clone()),
        }
    }

    /// This value made writable: a shared container becomes an owned one whose members still
    /// share (one level is copied, so writing deep into a tree copies only the path to it).
    pub fn make_mut(&mut self) -> &mut Value<'a> {
        self.make_mut_with_room(0)
    }

    /// [`Value::make_mut`], leaving room for `room` more members when it copies an object.
    pub fn make_mut_with_room(&mut self, room: usize) -> &mut Value<'a> {
        if let Value::Shared(shared) = self {
            // Owned (a cloned parsed tree): the content is copied, as its members may not
            // borrow from an `Arc` this value is about to let go of.
            *self = Value::clone(shared);
        }
        if let Value::Ref(shared) = *self {
            *self = match shared.resolve_shared() {
                Value::Array(items) => Value::Array(items.iter().map(Value::shared).collect()),
                Value::Object(object) => {
                    let mut entries = Vec::with_capacity(object.len() + room);
                    entries.extend(object.0.iter().map(|(k, v)| (k.clone(), Value::shared(v))));
                    Value::Object(Object(entries))
                }
                scalar => scalar.clone(),
            };
        }
        self
    }

    /// Whether this is content stored once for several positions: a repeated subtree of a
    /// response, or a copy merged once for several positions. Work on it is worth reusing.
    pub fn is_repeated(&self) -> bool {
        match self {
            Value::Shared(_) => true,
            Value::Ref(target) => target.is_repeated(),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.resolve() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self.resolve() {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The object, made writable (see [`Value::make_mut`]).
    pub fn as_object_mut(&mut self) -> Option<&mut Object<'a>> {
        match self.make_mut() {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Value::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self.resolve(), Value::Object(_))
    }

    /// The member `key` of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'a>> {
        self.as_object_mut()?.get_mut(key)
    }

    /// Writes compact JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self.resolve() {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            Value::Number(n) => write_number(out, n),
            // A string borrowed from a body had no escapes there, so it needs none now.
            Value::String(Cow::Borrowed(s)) => write_json_raw_string(out, s),
            Value::String(s) => write_json_string(out, s),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Value::Object(object) => {
                out.push(b'{');
                for (i, (key, value)) in object.entries().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, key);
                    out.push(b':');
                    value.write_json(out);
                }
                out.push(b'}');
            }
            Value::Ref(_) | Value::Shared(_) => {
                unreachable!("resolve() looks through references")
            }
        }
    }

    /// An owned tree from a `serde_json` value (introspection results, initial data).
    pub fn from_json(value: serde_json::Value) -> Value<'static> {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s)),
            serde_json::Value::Array(items) => {
                Value::Array(items.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(Object::from_json(map)),
        }
    }
}

impl Object<'static> {
    pub fn from_json(map: serde_json::Map<String, serde_json::Value>) -> Self {
        Object(
            map.into_iter()
                .map(|(k, v)| (Cow::Owned(k), Value::from_json(v)))
                .collect(),
        )
    }
}

/// Writes `[a,b,...]` from items that are JSON already.
pub fn write_raw_array<T: AsRef<[u8]>>(out: &mut Vec<u8>, items: &[T]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.as_ref());
    }
    out.push(b']');
}

/// Stores each repeated subtree of a parsed response once: every later object or list with
/// the same content becomes a [`Value::Shared`] of the first. GraphQL responses repeat
/// themselves (the same author under each of their reviews, the same product under each
/// review), and the executor does its work once per shared subtree, not once per position.
/// Subtrees are matched by a structural hash and then compared in full, so distinct content
/// is never merged, whatever the strings in it.
pub fn share_repeated_subtrees(root: &mut Value<'_>) {
    let mut shapes = Vec::new();
    hash_subtrees(root, &mut shapes);
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let mut repeated = false;
    for (hash, _) in &shapes {
        let count = seen.entry(*hash).or_default();
        *count += 1;
        repeated |= *count > 1;
    }
    if repeated {
        let mut sharing = Sharing {
            shapes: &shapes,
            counts: &seen,
            next: 0,
            stored: FxHashMap::default(),
        };
        sharing.share(root);
    }
}

/// Hashes a subtree's content; records `(hash, container count)` per container in pre-order.
fn hash_subtrees(value: &Value<'_>, shapes: &mut Vec<(u64, usize)>) -> u64 {
    let mut hasher = FxHasher::default();
    match value.resolve() {
        Value::Null => 0u8.hash(&mut hasher),
        Value::Bool(b) => (1u8, b).hash(&mut hasher),
        Value::Number(n) => (2u8, n).hash(&mut hasher),
        Value::String(s) => (3u8, s).hash(&mut hasher),
        container => {
            let slot = shapes.len();
            shapes.push((0, 0));
            match container {
                Value::Array(items) => {
                    (4u8, items.len()).hash(&mut hasher);
                    for item in items {
                        hash_subtrees(item, shapes).hash(&mut hasher);
                    }
                }
                Value::Object(object) => {
                    (5u8, object.len()).hash(&mut hasher);
                    for (key, member) in &object.0 {
                        key.hash(&mut hasher);
                        hash_subtrees(member, shapes).hash(&mut hasher);
                    }
                }
                _ => unreachable!("scalars are handled above"),
            }
            let hash = hasher.finish();
            shapes[slot] = (hash, shapes.len() - slot);
            return hash;
        }
    }
    hasher.finish()
}

struct Sharing<'s, 'a> {
    shapes: &'s [(u64, usize)],
    counts: &'s FxHashMap<u64, u32>,
    /// The next container's index in `shapes` (pre-order, as `hash_subtrees` recorded them).
    next: usize,
    /// The first subtree stored per hash. Only that one is shared: content that merely
    /// collides with it is kept as it is, so crafted collisions cost one comparison each.
    stored: FxHashMap<u64, Arc<Value<'a>>>,
}

impl<'a> Sharing<'_, 'a> {
    fn share(&mut self, value: &mut Value<'a>) {
        if !matches!(value, Value::Array(_) | Value::Object(_)) {
            return;
        }
        let (hash, size) = self.shapes[self.next];
        let repeated = self.counts.get(&hash).is_some_and(|c| *c > 1);
        if repeated {
            let same = self.stored.get(&hash).filter(|s| same_content(s, value));
            if let Some(stored) = same {
                *value = Value::Shared(stored.clone());
                self.next += size;
                return;
            }
        }
        self.next += 1;
        match value {
            Value::Array(items) => items.iter_mut().for_each(|item| self.share(item)),
            Value::Object(object) => object.0.iter_mut().for_each(|(_, v)| self.share(v)),
            _ => {}
        }
        if repeated && !self.stored.contains_key(&hash) {
            let stored = Arc::new(std::mem::take(value));
            self.stored.insert(hash, stored.clone());
            *value = Value::Shared(stored);
        }
    }
}

/// Deep equality that looks through shared subtrees.
fn same_content(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a.resolve(), b.resolve()) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_content(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.0
                    .iter()
                    .zip(&b.0)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_content(va, vb))
        }
        (a, b) => a == b,
    }
}

fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    } else {
        // Floats keep serde_json's formatting, so they read back as the same number.
        let _ = serde_json::to_writer(&mut *out, n);
    }
}

/// Writes a JSON string literal; serde_json's escaping is the reference.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        write_json_raw_string(out, s);
    }
}

/// Whether a string has a control character, `"` or `\\`; eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero exactly when the high bit of its byte in `zero_bytes(x)` is set.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // Bytes below 0x20 (ASCII only: bytes >= 0x80 are UTF-8 and never escaped).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        if control
            | zero_bytes(x ^ (ONES * u64::from(b'"')))
            | zero_bytes(x ^ (ONES * u64::from(b'\\')))
            != 0
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes a string known to need no escaping (a GraphQL name, or a string a body carried
/// without escapes).
pub fn write_json_raw_string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = Value<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value<'a>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Value<'a>, E> {
        Ok(Value::String(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value<'a>, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'a>, A::Error> {
        let mut object = Object::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(Key(key)) = map.next_key::<Key<'a>>()? {
            object.push(key, map.next_value()?);
        }
        Ok(Value::Object(object))
    }
}

/// A map key that borrows when the body has no escapes in it (serde's `Cow` never borrows).
struct Key<'de>(Str<'de>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowing_and_writes_back_the_same_json() {
        let body = br#"{"a":1,"b":[true,null,-2,1.5],"c":{"d":"x\"y","e":"plain"},"f":18446744073709551615}"#;
        let value: Value = serde_json::from_slice(body).unwrap();
        let c = value.get("c").unwrap();
        assert!(matches!(
            c.get("e"),
            Some(Value::String(Cow::Borrowed("plain")))
        ));
        assert_eq!(c.get("d").and_then(Value::as_str), Some("x\"y"));
        let mut out = Vec::new();
        value.write_json(&mut out);
        assert_eq!(out, body.to_vec());
    }

    #[test]
    fn repeated_subtrees_are_stored_once_and_read_back_the_same() {
        let json = r#"{"a":[{"x":1,"y":{"z":"s"}},{"x":1,"y":{"z":"s"}},{"x":2,"y":{"z":"s"}}],"b":{"z":"t"}}"#;
        let mut value: Value<'_> = serde_json::from_str(json).expect("json");
        share_repeated_subtrees(&mut value);
        let mut out = Vec::new();
        value.write_json(&mut out);
        assert_eq!(String::from_utf8(out).expect("utf-8"), json);
        let address = |v: &Value<'_>| std::ptr::from_ref(v.resolve()) as usize;
        let Some(Value::Array(items)) = value.get("a") else {
            panic!("a list")
        };
        assert_eq!(address(&items[0]), address(&items[1]), "identical items");
        assert_ne!(address(&items[0]), address(&items[2]), "different items");
        let y = |i: usize| address(items[i].get("y").expect("y"));
        assert_eq!(y(0), y(2), "identical members of different items");
        assert_ne!(
            y(0),
            address(value.get("b").expect("b")),
            "same shape, other content"
        );
    }

    /// JSON from a small alphabet of keys and values, so that subtrees repeat often.
    fn repetitive_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            (0i64..3).prop_map(serde_json::Value::from),
            "[ab\"]{0,2}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 96, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[ab]", inner), 0..3)
                    .prop_map(|members| serde_json::Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn sharing_repeated_subtrees_keeps_every_byte(json in repetitive_json()) {
            let text = serde_json::to_string(&json).expect("json");
            let mut value: Value<'_> = serde_json::from_str(&text).expect("parses");
            share_repeated_subtrees(&mut value);
            let mut out = Vec::new();
            value.write_json(&mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).expect("utf-8"), text);
        }
    }

    #[test]
    fn colliding_hashes_never_share_different_content() {
        let json = r#"[{"a":1},{"a":2},{"a":1}]"#;
        let mut value: Value<'_> = serde_json::from_str(json).expect("json");
        let mut shapes = Vec::new();
        hash_subtrees(&value, &mut shapes);
        // Every container hashes alike, as crafted collisions would.
        for shape in &mut shapes {
            shape.0 = 7;
        }
        let counts = FxHashMap::from_iter([(7, 4)]);
        let mut sharing = Sharing {
            shapes: &shapes,
            counts: &counts,
            next: 0,
            stored: FxHashMap::default(),
        };
        sharing.share(&mut value);
        let mut out = Vec::new();
        value.write_json(&mut out);
        assert_eq!(String::from_utf8(out).expect("utf-8"), json);
        let Value::Array(items) = &value else {
            panic!("a list")
        };
        assert!(matches!(items[1], Value::Object(_)), "kept as it is");
        let address = |v: &Value<'_>| std::ptr::from_ref(v.resolve()) as usize;
        assert_eq!(address(&items[0]), address(&items[2]));
    }

    #[test]
    fn escapes_exactly_what_serde_json_escapes() {
        let samples = [
            "",
            "plain",
            "exactly8",
            "sixteen bytes ok",
            "quote\" at 6",
            "0123456789abcde\\",
            "tab\tinside a longer string",
            "\u{1f}",
            "ünïcödé über alles",
            "\u{7f} is not escaped",
        ];
        for sample in samples {
            let mut ours = Vec::new();
            write_json_string(&mut ours, sample);
            assert_eq!(ours, serde_json::to_vec(sample).unwrap(), "{sample:?}");
        }
    }

    #[test]
    fn insert_keeps_position_and_remove_keeps_order() {
        let mut object = Object::default();
        object.insert("a".into(), Value::Bool(true));
        object.insert("b".into(), Value::Null);
        object.insert("a".into(), Value::Bool(false));
        object.insert("c".into(), Value::Null);
        assert_eq!(object.remove("b"), Some(Value::Null));
        let keys: Vec<&str> = object.entries().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "c"]);
        assert_eq!(object.get("a"), Some(&Value::Bool(false)));
    }

    #[test]
    fn converts_from_serde_json() {
        let json = serde_json::json!({"x": [1, "two", {"y": null}]});
        let mut out = Vec::new();
        Value::from_json(json.clone()).write_json(&mut out);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
            json
        );
    }
}
