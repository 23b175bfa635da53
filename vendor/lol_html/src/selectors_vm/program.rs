use super::SelectorState;
use super::attribute_matcher::AttributeMatcher;
use super::compiler::{CompiledAttributeExpr, CompiledLocalNameExpr};
use crate::html::LocalName;
use crate::selectors_vm::DenseHashSet;
use std::ops::Range;

pub(crate) type AddressRange = Range<usize>;

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExecutionBranch {
    pub matched_ids: DenseHashSet,
    pub jumps: Option<AddressRange>,
    pub hereditary_jumps: Option<AddressRange>,
}

/// The result of trying to execute an instruction without having parsed all attributes
pub(crate) enum TryExecResult<'i> {
    /// A successful match, contains the branch to move to
    Branch(&'i ExecutionBranch),
    /// A partially successful match, but requires attributes to complete
    AttributesRequired,
    /// A failed match, doesn't require attributes to complete
    Fail,
}

pub(crate) struct Instruction {
    pub associated_branch: ExecutionBranch,
    pub local_name_exprs: Box<[CompiledLocalNameExpr]>,
    pub attribute_exprs: Box<[CompiledAttributeExpr]>,
    /// trackstrip patch: the tag name this instruction requires, when its only condition on
    /// the name is that name.
    pub tag_name: Option<LocalName<'static>>,
    /// trackstrip patch: bytes the raw start tag must contain for this instruction to match.
    pub attr_needle: Option<Box<[u8]>>,
}

impl Instruction {
    pub fn noop() -> Self {
        Self {
            associated_branch: ExecutionBranch {
                matched_ids: DenseHashSet::Inline(0),
                jumps: None,
                hereditary_jumps: None,
            },
            local_name_exprs: Default::default(),
            attribute_exprs: Default::default(),
            tag_name: None,
            attr_needle: None,
        }
    }

    pub fn try_exec_without_attrs<'i>(
        &'i self,
        state: &SelectorState<'_>,
        local_name: &LocalName<'_>,
    ) -> TryExecResult<'i> {
        if self.local_name_exprs.iter().all(|e| e(state, local_name)) {
            if self.attribute_exprs.is_empty() {
                TryExecResult::Branch(&self.associated_branch)
            } else {
                TryExecResult::AttributesRequired
            }
        } else {
            TryExecResult::Fail
        }
    }

    pub fn complete_exec_with_attrs<'i>(
        &'i self,
        state: &SelectorState<'_>,
        attr_matcher: &AttributeMatcher<'_>,
    ) -> Option<&'i ExecutionBranch> {
        if self.attribute_exprs.iter().all(|e| e(state, attr_matcher)) {
            Some(&self.associated_branch)
        } else {
            None
        }
    }

    pub fn exec<'i>(
        &'i self,
        state: &SelectorState<'_>,
        local_name: &LocalName<'_>,
        attr_matcher: &AttributeMatcher<'_>,
    ) -> Option<&'i ExecutionBranch> {
        let is_match = self.local_name_exprs.iter().all(|e| e(state, local_name))
            && self.attribute_exprs.iter().all(|e| e(state, attr_matcher));

        if is_match {
            Some(&self.associated_branch)
        } else {
            None
        }
    }
}

pub(crate) struct Program {
    pub instructions: Box<[Instruction]>,
    pub entry_points: AddressRange,
    /// Enables tracking child types for nth-of-type selectors.
    /// This is disabled if no nth-of-type selectors are used in the program.
    pub enable_nth_of_type: bool,
    /// trackstrip patch: set when every selector is a compound selector naming its tag, with no
    /// combinator and no `:nth-*`. An element of any other name matches nothing and starts no
    /// jumps, so the VM only needs to note it on the stack.
    pub flat: Option<Flat>,
}

/// trackstrip patch: the names a flat program can match, and what each needs.
pub(crate) struct Flat {
    /// One bit per `mixed_hash() >> 57` of the names; a clear bit rules a name out.
    filter: u128,
    pub names: Box<[FlatName]>,
}

pub(crate) struct FlatName {
    pub name: LocalName<'static>,
    /// The name's instructions.
    pub instructions: Box<[usize]>,
    /// When every selector naming it depends on an attribute with a necessary substring, those
    /// substrings: a tag whose raw bytes hold none of them can't match, and needs no lexing.
    pub needles: Option<Box<[Box<[u8]>]>>,
}

impl Flat {
    pub fn new(instructions: &[Instruction]) -> Flat {
        let mut names: Vec<FlatName> = Vec::new();
        for (addr, instr) in instructions.iter().enumerate() {
            let Some(name) = &instr.tag_name else { continue };
            if names.iter().any(|n| n.name == *name) {
                continue;
            }
            let own: Box<[usize]> =
                (addr..instructions.len()).filter(|&a| instructions[a].tag_name.as_ref() == Some(name)).collect();
            let mut needles = Some(Vec::new());
            for &a in &own {
                match (&instructions[a].attr_needle, instructions[a].attribute_exprs.is_empty(), &mut needles) {
                    (Some(n), false, Some(all)) if !all.contains(n) => all.push(n.clone()),
                    (Some(_), false, _) => {}
                    _ => needles = None,
                }
            }
            let needles = needles.map(Vec::into_boxed_slice);
            names.push(FlatName { name: name.clone(), instructions: own, needles });
        }
        let filter = names.iter().fold(0u128, |f, n| f | 1 << (n.name.mixed_hash() >> 57));
        Flat { filter, names: names.into_boxed_slice() }
    }

    /// The index of `name` in `names`, if it is one of them.
    #[inline]
    pub fn find(&self, name: &LocalName<'_>) -> Option<usize> {
        if self.filter & (1 << (name.mixed_hash() >> 57)) == 0 {
            return None;
        }
        self.names.iter().position(|n| n.name == *name)
    }
}
