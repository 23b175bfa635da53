#![allow(clippy::needless_pass_by_value)]

mod ast;
mod attribute_matcher;
mod compiler;
mod error;
mod match_info;
mod parser;
mod program;
mod stack;

use self::program::AddressRange;
use self::stack::StackDirective;
use crate::html::{LocalName, Namespace};
use crate::memory::{MemoryLimitExceededError, SharedMemoryLimiter};
use crate::transform_stream::AuxStartTagInfo;
use encoding_rs::Encoding;
// trackstrip patch: compiled programs are cached and shared.
use std::sync::{Arc, Mutex, PoisonError};

pub use self::ast::*;
pub(crate) use self::attribute_matcher::AttributeMatcher;
pub(crate) use self::compiler::Compiler;
pub use self::error::SelectorError;
pub(crate) use self::match_info::{DenseHashSet, MatchId, MatchInfo};
pub use self::parser::Selector;
pub(crate) use self::program::{ExecutionBranch, Program, TryExecResult};
pub(crate) use self::stack::{ChildCounter, ElementData, Stack, StackItem};

pub(crate) type AuxStartTagInfoRequest<E> = Box<
    dyn FnOnce(
            &mut SelectorMatchingVm<E>,
            AuxStartTagInfo<'_>,
            &mut dyn FnMut(MatchInfo),
        ) -> Result<(), MemoryLimitExceededError>
        + Send,
>;

pub(crate) enum VmError<E: ElementData> {
    InfoRequest(AuxStartTagInfoRequest<E>),
    MemoryLimitExceeded(MemoryLimitExceededError),
}

#[derive(Default)]
struct JumpPtr {
    instr_set_idx: usize,
    offset: usize,
}

#[derive(Default)]
struct HereditaryJumpPtr {
    instr_set_idx: usize,
    offset: usize,
}

struct Bailout<T> {
    at_addr: usize,
    recovery_point: T,
}

/// A container for tracking state from various places on the stack.
pub(crate) struct SelectorState<'i> {
    pub cumulative: &'i ChildCounter,
    pub typed: Option<&'i ChildCounter>,
}

struct ExecutionCtx<'i, E: ElementData> {
    stack_item: StackItem<'i, E>,
    with_content: bool,
    ns: Namespace,
    enable_esi_tags: bool,
}

impl<'i, E: ElementData> ExecutionCtx<'i, E> {
    #[inline]
    pub fn new(local_name: LocalName<'i>, ns: Namespace, enable_esi_tags: bool) -> Self {
        ExecutionCtx {
            stack_item: StackItem::new(local_name),
            with_content: true,
            ns,
            enable_esi_tags,
        }
    }

    #[inline(never)]
    pub fn add_execution_branch(&mut self, branch: &ExecutionBranch) {
        self.stack_item
            .element_data
            .matched_ids_mut()
            .union(&branch.matched_ids);

        if self.with_content {
            if let Some(ref jumps) = branch.jumps {
                self.stack_item.jumps.push(jumps.to_owned());
            }

            if let Some(ref hereditary_jumps) = branch.hereditary_jumps {
                self.stack_item
                    .hereditary_jumps
                    .push(hereditary_jumps.to_owned());
            }
        }
    }

    #[inline(never)]
    pub fn handle_matched_ids(&mut self, match_handler: &mut dyn FnMut(MatchInfo)) {
        for match_id in self.stack_item.element_data.matched_ids_mut().iter() {
            match_handler(MatchInfo {
                match_id,
                with_content: self.with_content,
            });
        }
    }

    #[inline]
    pub fn into_owned(self) -> ExecutionCtx<'static, E> {
        ExecutionCtx {
            stack_item: self.stack_item.into_owned(),
            with_content: self.with_content,
            ns: self.ns,
            enable_esi_tags: self.enable_esi_tags,
        }
    }
}

macro_rules! aux_info_request {
    ($req:expr) => {
        Err(VmError::InfoRequest(Box::new($req)))
    };
}

/// trackstrip patch: what an attribute request resumes. It is kept in the VM, so that the
/// request itself is a closure that captures nothing, and boxing it allocates nothing (a
/// request is made for every element whose match depends on its attributes).
enum Pending<E: ElementData> {
    Immediate(ExecutionCtx<'static, E>),
    EntryPoints(ExecutionCtx<'static, E>, Bailout<usize>),
    Jumps(ExecutionCtx<'static, E>, Bailout<JumpPtr>),
    HereditaryJumps(ExecutionCtx<'static, E>, Bailout<HereditaryJumpPtr>),
    /// A flat program's element (and the index of its name in `Flat::names`): the name's
    /// instructions that need attributes are left.
    Flat(ExecutionCtx<'static, E>, usize),
}

impl<E: ElementData> Pending<E> {
    fn ns(&self) -> Namespace {
        match self {
            Pending::Immediate(ctx)
            | Pending::EntryPoints(ctx, _)
            | Pending::Jumps(ctx, _)
            | Pending::HereditaryJumps(ctx, _)
            | Pending::Flat(ctx, _) => ctx.ns,
        }
    }
}

pub(crate) struct SelectorMatchingVm<E: ElementData> {
    program: Arc<Program>,
    stack: Stack<E>,
    enable_esi_tags: bool,
    pending: Option<Pending<E>>,
}

/// trackstrip patch: the programs compiled so far, by AST and encoding, so that rewriters
/// built with the same selectors (a proxy builds one per response) share one program instead
/// of each compiling its own (about 95K instructions and 100 allocations for 15 selectors).
fn compiled(ast: Ast, encoding: &'static Encoding) -> Arc<Program> {
    /// A few selector sets per process; the oldest goes first.
    const KEEP: usize = 8;
    static PROGRAMS: Mutex<Vec<(Ast, &'static Encoding, Arc<Program>)>> = Mutex::new(Vec::new());
    let mut programs = PROGRAMS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, program)) = programs.iter().find(|(a, e, _)| *e == encoding && *a == ast) {
        return Arc::clone(program);
    }
    let key = ast.clone();
    let program = Arc::new(Compiler::new(encoding).compile(ast));
    if programs.len() == KEEP {
        programs.remove(0);
    }
    programs.push((key, encoding, Arc::clone(&program)));
    program
}

impl<E> SelectorMatchingVm<E>
where
    E: ElementData + Send,
{
    #[inline]
    #[must_use]
    pub fn new(
        ast: Ast,
        encoding: &'static Encoding,
        memory_limiter: SharedMemoryLimiter,
        enable_esi_tags: bool,
    ) -> Self {
        let program = compiled(ast, encoding);

        Self {
            stack: Stack::new(memory_limiter, program.enable_nth_of_type),
            program,
            enable_esi_tags,
            pending: None,
        }
    }

    /// trackstrip patch: when the pending attribute request is for an HTML element whose
    /// match needs one of these substrings in its raw tag, the substrings. The parser can then
    /// scan the tag and only lex it if it holds one.
    pub fn pending_attribute_needles(&self) -> Option<&[Box<[u8]>]> {
        match (&self.pending, &self.program.flat) {
            (Some(Pending::Flat(_, i)), Some(flat)) => flat.names.get(*i)?.needles.as_deref(),
            _ => None,
        }
    }

    /// trackstrip patch: finishes the pending request for an element whose raw tag holds none
    /// of `pending_attribute_needles`: no attribute-dependent selector matches it, and no
    /// selector for its name is attribute-free, so it matches nothing and is only a boundary.
    pub fn resolve_pending_unmatched(&mut self) -> Result<(), MemoryLimitExceededError> {
        match self.pending.take() {
            // Matching nothing, it is only a boundary, like an element of a name no selector
            // names (and `</a>` then takes `pop_up_to`'s short path). `push_unmatched` leaves
            // void elements off, as `with_content` would.
            Some(Pending::Flat(ctx, _)) => {
                self.stack.push_unmatched(ctx.stack_item.local_name, self.enable_esi_tags)
            }
            _ => Ok(()),
        }
    }

    /// trackstrip patch: an HTML element of a name a flat program knows: only that name's
    /// instructions can match, and none starts a jump.
    fn exec_flat(
        &mut self,
        local_name: LocalName<'_>,
        name_index: usize,
        match_handler: &mut dyn FnMut(MatchInfo),
    ) -> Result<(), VmError<E>> {
        let mut ctx = ExecutionCtx::new(local_name, Namespace::Html, self.enable_esi_tags);
        if let StackDirective::PopImmediately =
            Stack::get_stack_directive(&ctx.stack_item, ctx.ns, ctx.enable_esi_tags)
        {
            ctx.with_content = false;
        }
        let mut needs_attributes = false;
        let flat = self.program.flat.as_ref().and_then(|f| f.names.get(name_index));
        for &addr in flat.map(|f| &f.instructions[..]).unwrap_or_default() {
            let instr = &self.program.instructions[addr];
            if instr.attribute_exprs.is_empty() {
                ctx.add_execution_branch(&instr.associated_branch);
            } else {
                needs_attributes = true;
            }
        }
        if needs_attributes {
            return self.request_attributes(Pending::Flat(ctx.into_owned(), name_index));
        }
        ctx.handle_matched_ids(match_handler);
        if ctx.with_content {
            self.stack
                .push_item(ctx.stack_item.into_owned())
                .map_err(VmError::MemoryLimitExceeded)
        } else {
            Ok(())
        }
    }

    /// trackstrip patch: parks `pending` and asks for the element's attributes.
    fn request_attributes(&mut self, pending: Pending<E>) -> Result<(), VmError<E>> {
        self.pending = Some(pending);
        aux_info_request!(|this, aux_info, match_handler| this.resume(aux_info, match_handler))
    }

    /// trackstrip patch: finishes the match that `request_attributes` parked.
    fn resume(
        &mut self,
        aux_info: AuxStartTagInfo<'_>,
        match_handler: &mut dyn FnMut(MatchInfo),
    ) -> Result<(), MemoryLimitExceededError> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let m = AttributeMatcher::new(*aux_info.input, aux_info.attr_buffer, pending.ns());
        let mut ctx = match pending {
            Pending::Immediate(ctx) => {
                return self.exec_after_immediate_aux_info_request(ctx, aux_info, match_handler);
            }
            Pending::Flat(mut ctx, name_index) => {
                let flat = self.program.flat.as_ref().and_then(|f| f.names.get(name_index));
                let state = self.stack.build_state(&ctx.stack_item.local_name);
                for &addr in flat.map(|f| &f.instructions[..]).unwrap_or_default() {
                    let instr = &self.program.instructions[addr];
                    if !instr.attribute_exprs.is_empty()
                        && let Some(branch) = instr.complete_exec_with_attrs(&state, &m)
                    {
                        ctx.add_execution_branch(branch);
                    }
                }
                ctx
            }
            Pending::EntryPoints(mut ctx, b) => {
                self.complete_instr_execution_with_attrs(b.at_addr, &m, &mut ctx);
                self.recover_after_bailout_in_entry_points(&mut ctx, &m, b.recovery_point);
                ctx
            }
            Pending::Jumps(mut ctx, b) => {
                self.complete_instr_execution_with_attrs(b.at_addr, &m, &mut ctx);
                self.recover_after_bailout_in_jumps(&mut ctx, &m, b.recovery_point);
                ctx
            }
            Pending::HereditaryJumps(mut ctx, b) => {
                self.complete_instr_execution_with_attrs(b.at_addr, &m, &mut ctx);
                self.recover_after_bailout_in_hereditary_jumps(&mut ctx, &m, b.recovery_point);
                ctx
            }
        };
        ctx.handle_matched_ids(match_handler);
        if ctx.with_content {
            self.stack.push_item(ctx.stack_item)?;
        }
        Ok(())
    }

    pub fn exec_for_start_tag(
        &mut self,
        local_name: LocalName<'_>,
        ns: Namespace,
        match_handler: &mut dyn FnMut(MatchInfo),
    ) -> Result<(), VmError<E>> {
        use StackDirective::*;

        // trackstrip patch: HTML elements in a flat program. One no selector names only goes
        // on the stack as a boundary; one a selector names runs that name's instructions. Same
        // outcome as the full run below (no jumps and no child counters in a flat program),
        // without evaluating every instruction.
        if let Some(flat) = &self.program.flat
            && ns == Namespace::Html
        {
            return match flat.find(&local_name) {
                Some(i) => self.exec_flat(local_name, i, match_handler),
                None => self
                    .stack
                    .push_unmatched(local_name, self.enable_esi_tags)
                    .map_err(VmError::MemoryLimitExceeded),
            };
        }

        self.stack.add_child(&local_name);

        let mut ctx = ExecutionCtx::new(local_name, ns, self.enable_esi_tags);

        match Stack::get_stack_directive(&ctx.stack_item, ctx.ns, ctx.enable_esi_tags) {
            PopImmediately => {
                ctx.with_content = false;
                self.exec_without_attrs(ctx, match_handler)
            }
            PushIfNotSelfClosing => self.request_attributes(Pending::Immediate(ctx.into_owned())),
            Push => self.exec_without_attrs(ctx, match_handler),
        }
    }

    #[inline]
    pub fn exec_for_end_tag(
        &mut self,
        local_name: LocalName<'_>,
        unmatched_element_data_handler: impl FnMut(E),
    ) {
        self.stack
            .pop_up_to(local_name, unmatched_element_data_handler);
    }

    #[inline]
    pub fn current_element_data_mut(&mut self) -> Option<&mut E> {
        self.stack.current_element_data_mut()
    }

    fn exec_after_immediate_aux_info_request(
        &mut self,
        mut ctx: ExecutionCtx<'static, E>,
        aux_info: AuxStartTagInfo<'_>,
        match_handler: &mut dyn FnMut(MatchInfo),
    ) -> Result<(), MemoryLimitExceededError> {
        let attr_matcher = AttributeMatcher::new(*aux_info.input, aux_info.attr_buffer, ctx.ns);

        ctx.with_content = !aux_info.self_closing;

        self.exec_instr_set_with_attrs(&self.program.entry_points, &attr_matcher, &mut ctx, 0);

        self.exec_jumps_with_attrs(&attr_matcher, &mut ctx, JumpPtr::default());

        self.exec_hereditary_jumps_with_attrs(
            &attr_matcher,
            &mut ctx,
            HereditaryJumpPtr::default(),
        );

        ctx.handle_matched_ids(match_handler);

        if ctx.with_content {
            self.stack.push_item(ctx.stack_item)?;
        }

        Ok(())
    }

    // trackstrip patch: `bailout` is replaced by `request_attributes`, which keeps the pending request in the VM.
    fn recover_after_bailout_in_entry_points(
        &mut self,
        ctx: &mut ExecutionCtx<'static, E>,
        attr_matcher: &AttributeMatcher<'_>,
        recovery_point: usize,
    ) {
        self.exec_instr_set_with_attrs(
            &self.program.entry_points,
            attr_matcher,
            ctx,
            recovery_point,
        );

        self.exec_jumps_with_attrs(attr_matcher, ctx, JumpPtr::default());

        self.exec_hereditary_jumps_with_attrs(attr_matcher, ctx, HereditaryJumpPtr::default());
    }

    fn recover_after_bailout_in_jumps(
        &mut self,
        ctx: &mut ExecutionCtx<'static, E>,
        attr_matcher: &AttributeMatcher<'_>,
        recovery_point: JumpPtr,
    ) {
        self.exec_jumps_with_attrs(attr_matcher, ctx, recovery_point);

        self.exec_hereditary_jumps_with_attrs(attr_matcher, ctx, HereditaryJumpPtr::default());
    }

    #[inline]
    fn recover_after_bailout_in_hereditary_jumps(
        &mut self,
        ctx: &mut ExecutionCtx<'static, E>,
        attr_matcher: &AttributeMatcher<'_>,
        recovery_point: HereditaryJumpPtr,
    ) {
        self.exec_hereditary_jumps_with_attrs(attr_matcher, ctx, recovery_point);
    }

    fn exec_without_attrs(
        &mut self,
        mut ctx: ExecutionCtx<'_, E>,
        match_handler: &mut dyn FnMut(MatchInfo),
    ) -> Result<(), VmError<E>> {
        if let Err(b) =
            self.try_exec_instr_set_without_attrs(self.program.entry_points.clone(), &mut ctx)
        {
            // trackstrip patch: the pending request is kept in the VM (see `request_attributes`).
            return self.request_attributes(Pending::EntryPoints(ctx.into_owned(), b));
        }

        if let Err(b) = self.try_exec_jumps_without_attrs(&mut ctx) {
            return self.request_attributes(Pending::Jumps(ctx.into_owned(), b));
        }

        if let Err(b) = self.try_exec_hereditary_jumps_without_attrs(&mut ctx) {
            return self.request_attributes(Pending::HereditaryJumps(ctx.into_owned(), b));
        }

        ctx.handle_matched_ids(match_handler);

        if ctx.with_content {
            self.stack
                .push_item(ctx.stack_item.into_owned())
                .map_err(VmError::MemoryLimitExceeded)
        } else {
            Ok(())
        }
    }

    #[inline]
    fn complete_instr_execution_with_attrs(
        &self,
        addr: usize,
        attr_matcher: &AttributeMatcher<'_>,
        ctx: &mut ExecutionCtx<'_, E>,
    ) {
        let state = self.stack.build_state(&ctx.stack_item.local_name);
        if let Some(branch) =
            self.program.instructions[addr].complete_exec_with_attrs(&state, attr_matcher)
        {
            ctx.add_execution_branch(branch);
        }
    }

    #[inline]
    fn try_exec_instr_set_without_attrs(
        &self,
        addr_range: AddressRange,
        ctx: &mut ExecutionCtx<'_, E>,
    ) -> Result<(), Bailout<usize>> {
        let start = addr_range.start;
        let state = self.stack.build_state(&ctx.stack_item.local_name);

        for addr in addr_range {
            match self.program.instructions[addr]
                .try_exec_without_attrs(&state, &ctx.stack_item.local_name)
            {
                TryExecResult::Branch(branch) => ctx.add_execution_branch(branch),
                TryExecResult::AttributesRequired => {
                    return Err(Bailout {
                        at_addr: addr,
                        recovery_point: addr - start + 1,
                    });
                }
                TryExecResult::Fail => (),
            }
        }

        Ok(())
    }

    #[inline]
    fn exec_instr_set_with_attrs(
        &self,
        addr_range: &AddressRange,
        attr_matcher: &AttributeMatcher<'_>,
        ctx: &mut ExecutionCtx<'_, E>,
        offset: usize,
    ) {
        let state = self.stack.build_state(&ctx.stack_item.local_name);
        for addr in addr_range.start + offset..addr_range.end {
            let instr = &self.program.instructions[addr];

            if let Some(branch) = instr.exec(&state, &ctx.stack_item.local_name, attr_matcher) {
                ctx.add_execution_branch(branch);
            }
        }
    }

    fn try_exec_jumps_without_attrs(
        &self,
        ctx: &mut ExecutionCtx<'_, E>,
    ) -> Result<(), Bailout<JumpPtr>> {
        if let Some(parent) = self.stack.items().last() {
            for (i, jumps) in parent.jumps.iter().enumerate() {
                self.try_exec_instr_set_without_attrs(jumps.clone(), ctx)
                    .map_err(|b| Bailout {
                        at_addr: b.at_addr,
                        recovery_point: JumpPtr {
                            instr_set_idx: i,
                            offset: b.recovery_point,
                        },
                    })?;
            }
        }

        Ok(())
    }

    fn exec_jumps_with_attrs(
        &self,
        attr_matcher: &AttributeMatcher<'_>,
        ctx: &mut ExecutionCtx<'_, E>,
        ptr: JumpPtr,
    ) {
        // NOTE: find pointed jumps instruction set and execute it with the offset.
        if let Some(parent) = self.stack.items().last() {
            if let Some(ptr_jumps) = parent.jumps.get(ptr.instr_set_idx) {
                self.exec_instr_set_with_attrs(ptr_jumps, attr_matcher, ctx, ptr.offset);

                // NOTE: execute remaining jumps instruction sets as usual.
                for jumps in parent.jumps.iter().skip(ptr.instr_set_idx + 1) {
                    self.exec_instr_set_with_attrs(jumps, attr_matcher, ctx, 0);
                }
            }
        }
    }

    fn try_exec_hereditary_jumps_without_attrs(
        &self,
        ctx: &mut ExecutionCtx<'_, E>,
    ) -> Result<(), Bailout<HereditaryJumpPtr>> {
        for (i, (jumps, _)) in self.stack.active_hereditary_jumps().iter().enumerate() {
            self.try_exec_instr_set_without_attrs(jumps.clone(), ctx)
                .map_err(move |b| Bailout {
                    at_addr: b.at_addr,
                    recovery_point: HereditaryJumpPtr {
                        instr_set_idx: i,
                        offset: b.recovery_point,
                    },
                })?;
        }

        Ok(())
    }

    fn exec_hereditary_jumps_with_attrs(
        &self,
        attr_matcher: &AttributeMatcher<'_>,
        ctx: &mut ExecutionCtx<'_, E>,
        ptr: HereditaryJumpPtr,
    ) {
        let active = self.stack.active_hereditary_jumps();

        if let Some((ptr_jumps, _)) = active.get(ptr.instr_set_idx) {
            self.exec_instr_set_with_attrs(ptr_jumps, attr_matcher, ctx, ptr.offset);

            for (jumps, _) in active.iter().skip(ptr.instr_set_idx + 1) {
                self.exec_instr_set_with_attrs(jumps, attr_matcher, ctx, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests;
