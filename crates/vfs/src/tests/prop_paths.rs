//! Path resolution against a simple model: a tree of directories, files
//! and symlinks, resolved by a short recursive resolver that follows the
//! Linux rules directly.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::Fixture;
use crate::errno::Errno;
use crate::mount::MountFlags;
use crate::path::MAX_SYMLINKS;
use crate::testfs::TestFs;

const ROOT: usize = 0;
/// A directory that holds a second filesystem in the real tree.
const MOUNTED: usize = 1;

#[derive(Clone, Debug)]
enum Kind {
    Dir(BTreeMap<String, usize>),
    File,
    Link(String),
}

struct Model {
    kinds: Vec<Kind>,
    parents: Vec<usize>,
    names: Vec<String>,
}

impl Model {
    fn new() -> Model {
        let mut root = BTreeMap::new();
        root.insert(String::from("m"), MOUNTED);
        Model {
            kinds: vec![Kind::Dir(root), Kind::Dir(BTreeMap::new())],
            parents: vec![ROOT, ROOT],
            names: vec![String::new(), String::from("m")],
        }
    }

    fn is_dir(&self, node: usize) -> bool {
        matches!(self.kinds[node], Kind::Dir(_))
    }

    fn dirs(&self) -> Vec<usize> {
        (0..self.kinds.len()).filter(|&n| self.is_dir(n)).collect()
    }

    fn path(&self, mut node: usize) -> String {
        let mut names = Vec::new();
        while node != ROOT {
            names.push(self.names[node].as_str());
            node = self.parents[node];
        }
        names.reverse();
        String::from("/") + &names.join("/")
    }

    /// Adds `name` under `dir` unless taken; returns the new node.
    fn add(&mut self, dir: usize, name: &str, kind: Kind) -> Option<usize> {
        let id = self.kinds.len();
        let Kind::Dir(entries) = &mut self.kinds[dir] else {
            return None;
        };
        if entries.contains_key(name) {
            return None;
        }
        entries.insert(String::from(name), id);
        self.kinds.push(kind);
        self.parents.push(dir);
        self.names.push(String::from(name));
        Some(id)
    }

    fn resolve(
        &self,
        cwd: usize,
        path: &str,
        follow: bool,
        links: &mut u32,
    ) -> Result<usize, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let mut current = if path.starts_with('/') { ROOT } else { cwd };
        let trailing = path.ends_with('/');
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let is_last = i + 1 == parts.len();
            let Kind::Dir(entries) = &self.kinds[current] else {
                return Err(Errno::ENOTDIR);
            };
            current = match *part {
                "." => current,
                ".." => self.parents[current],
                name => {
                    let child = *entries.get(name).ok_or(Errno::ENOENT)?;
                    match &self.kinds[child] {
                        Kind::Link(target) if !is_last || follow || trailing => {
                            *links += 1;
                            if *links > MAX_SYMLINKS {
                                return Err(Errno::ELOOP);
                            }
                            self.resolve(current, target, true, links)?
                        }
                        _ => child,
                    }
                }
            };
        }
        if trailing && !self.is_dir(current) && !parts.is_empty() {
            return Err(Errno::ENOTDIR);
        }
        Ok(current)
    }
}

#[derive(Clone, Debug)]
enum NewNode {
    Dir,
    File,
    Link(String),
}

fn a_path() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "m"]),
        1 => Just("."),
        1 => Just(".."),
        1 => Just(""),
        1 => Just("zz"),
    ];
    (
        any::<bool>(),
        proptest::collection::vec(part, 0..6),
        any::<bool>(),
    )
        .prop_map(|(absolute, parts, trailing)| {
            let mut path = if absolute {
                String::from("/")
            } else {
                String::new()
            };
            path.push_str(&parts.join("/"));
            if trailing {
                path.push('/');
            }
            path
        })
}

fn new_node() -> impl Strategy<Value = NewNode> {
    prop_oneof![
        2 => Just(NewNode::Dir),
        1 => Just(NewNode::File),
        2 => a_path().prop_map(NewNode::Link),
    ]
}

fn build(ops: &[(usize, &'static str, NewNode)]) -> (Model, Fixture) {
    let fx = Fixture::new();
    fx.mkdir("/m");
    let fs = TestFs::new("second");
    fx.vfs
        .mount(&fx.caller(), "/m", fs, "second", MountFlags::empty())
        .unwrap();

    let mut model = Model::new();
    for (dir_pick, name, node) in ops {
        let dirs = model.dirs();
        let dir = dirs[dir_pick % dirs.len()];
        let kind = match node {
            NewNode::Dir => Kind::Dir(BTreeMap::new()),
            NewNode::File => Kind::File,
            NewNode::Link(target) if target.is_empty() => Kind::Link(String::from(".")),
            NewNode::Link(target) => Kind::Link(target.clone()),
        };
        let Some(id) = model.add(dir, name, kind.clone()) else {
            continue;
        };
        let path = model.path(id);
        match kind {
            Kind::Dir(_) => fx.mkdir(&path),
            Kind::File => fx.write_file(&path, ""),
            Kind::Link(target) => fx.symlink(&target, &path),
        }
    }
    (model, fx)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resolution_matches_the_model(
        ops in proptest::collection::vec(
            (any::<usize>(), prop::sample::select(vec!["a", "b", "c"]), new_node()),
            0..25,
        ),
        cwd_pick in any::<usize>(),
        queries in proptest::collection::vec((a_path(), any::<bool>()), 1..20),
    ) {
        let (model, mut fx) = build(&ops);
        let dirs = model.dirs();
        let cwd = dirs[cwd_pick % dirs.len()];
        fx.cwd = fx.vfs.resolve(&fx.caller(), &model.path(cwd), true).unwrap();

        for (path, follow) in &queries {
            let expected = model.resolve(cwd, path, *follow, &mut 0).map(|n| model.path(n));
            let actual = fx.lookup(path, *follow);
            prop_assert_eq!(actual, expected, "path {:?} follow {}", path, follow);
        }
    }
}
