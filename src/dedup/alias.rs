//! Institution identity: the shipped alias table of canonical institutions (names per
//! language, per-source spellings), grown by learning from confident matches.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::DedupError;
use super::text::institution_key;

const DEFAULT_TABLE: &str = include_str!("../../data/institution_aliases.toml");

#[derive(Debug, Deserialize)]
struct TableFile {
    #[serde(default)]
    institution: Vec<InstitutionEntry>,
}

#[derive(Debug, Deserialize)]
struct InstitutionEntry {
    id: String,
    #[serde(default)]
    names: BTreeMap<String, String>,
    #[serde(default)]
    spellings: Vec<String>,
}

/// Institution names (folded with [`institution_key`]) grouped into institutions. Names
/// in one group are aliases; a group may carry the canonical id of the shipped table.
#[derive(Debug, Clone, Default)]
pub struct AliasTable {
    index: FxHashMap<String, u32>,
    parent: Vec<u32>,
    canonical: Vec<Option<String>>,
}

impl AliasTable {
    /// The table shipped in `data/institution_aliases.toml`.
    pub fn load_default() -> Result<Self, DedupError> {
        Self::from_toml(DEFAULT_TABLE)
    }

    /// Parses a table in the format of `data/institution_aliases.toml`.
    pub fn from_toml(text: &str) -> Result<Self, DedupError> {
        let file: TableFile =
            toml::from_str(text).map_err(|e| DedupError::AliasTable(e.to_string()))?;
        let mut table = AliasTable::default();
        for entry in file.institution {
            let names: Vec<&String> = entry.names.values().chain(&entry.spellings).collect();
            let Some(first) = names.first() else { continue };
            let root = table.node(first);
            for name in &names[1..] {
                let n = table.node(name);
                table.union(root, n);
            }
            let r = table.find(root) as usize;
            if let Some(slot) = table.canonical.get_mut(r) {
                *slot = Some(entry.id.clone());
            }
        }
        Ok(table)
    }

    /// Records that two names denote one institution (e.g. two listings linked by a
    /// shared course key, or a name and the platform organisation it is listed under).
    pub fn learn(&mut self, a_name: &str, b_name: &str) {
        let a = self.node(a_name);
        let b = self.node(b_name);
        self.union(a, b);
    }

    /// The institution a name belongs to (a stable number within this table), or `None`
    /// for a name the table has never seen.
    pub fn resolve(&mut self, name: &str) -> Option<u32> {
        let key = institution_key(name);
        let n = *self.index.get(&key)?;
        Some(self.find(n))
    }

    /// Like [`AliasTable::resolve`], adding the name as a new institution when unknown.
    pub fn resolve_or_add(&mut self, name: &str) -> u32 {
        let n = self.node(name);
        self.find(n)
    }

    /// The shipped canonical id of the institution a name belongs to, if any.
    pub fn canonical_id(&mut self, name: &str) -> Option<String> {
        let r = self.resolve(name)?;
        self.canonical.get(r as usize).cloned().flatten()
    }

    /// How many distinct folded names the table knows.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn node(&mut self, name: &str) -> u32 {
        let key = institution_key(name);
        if let Some(n) = self.index.get(&key) {
            return *n;
        }
        let n = self.parent.len() as u32;
        self.parent.push(n);
        self.canonical.push(None);
        self.index.insert(key, n);
        n
    }

    fn find(&mut self, mut n: u32) -> u32 {
        while let Some(&p) = self.parent.get(n as usize) {
            if p == n {
                break;
            }
            let gp = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(n as usize) {
                *slot = gp;
            }
            n = p;
        }
        n
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(gone as usize) {
            *slot = keep;
        }
        // The shipped id survives a merge with a learned group.
        let gone_id = self.canonical.get_mut(gone as usize).and_then(Option::take);
        if let Some(slot) = self.canonical.get_mut(keep as usize)
            && slot.is_none()
        {
            *slot = gone_id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_knows_names_in_every_language() {
        let mut t = AliasTable::load_default().unwrap();
        let en = t.resolve("Tsinghua University").unwrap();
        assert_eq!(t.resolve("清华大学"), Some(en));
        assert_eq!(t.resolve("TsinghuaX"), Some(en));
        assert_eq!(t.resolve("TSINGHUA UNIVERSITY, China"), Some(en));
        assert_ne!(t.resolve("Peking University"), Some(en));
        assert_eq!(
            t.canonical_id("จุฬาลงกรณ์มหาวิทยาลัย").as_deref(),
            Some("chula")
        );
    }

    #[test]
    fn learned_aliases_join_groups() {
        let mut t = AliasTable::load_default().unwrap();
        assert_eq!(t.resolve("贵阳农业大学"), None);
        t.learn("贵阳农业大学", "GuiyangAUx");
        t.learn("Guiyang Agricultural University", "GuiyangAU");
        let a = t.resolve("贵阳农业大学").unwrap();
        assert_eq!(t.resolve("Guiyang Agricultural University"), Some(a));
    }
}
