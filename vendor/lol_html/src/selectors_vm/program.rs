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
    /// trackstrip patch: when every selector is a compound selector naming its tag, with no
    /// combinator and no `:nth-*`, the names they can match. An element of any other name
    /// matches nothing and starts no jumps, so the VM only needs to note it on the stack.
    pub flat_tag_names: Option<Box<[LocalName<'static>]>>,
    /// trackstrip patch: one bit per `mixed_hash() >> 57` of `flat_tag_names`; a name whose bit
    /// is clear is none of them, which most elements learn from this alone.
    pub flat_name_filter: u128,
    /// trackstrip patch: for each of `flat_tag_names`, the substrings one of which a start tag
    /// of that name must contain to match (None: the name can match whatever its attributes).
    pub flat_needles: Option<Box<[Option<Box<[Box<[u8]>]>>]>>,
    /// trackstrip patch: for each of `flat_tag_names`, the addresses of its instructions.
    pub flat_instructions: Option<Box<[Box<[usize]>]>>,
}
