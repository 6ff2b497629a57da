use core::iter;

use bevy::prelude::*;

use super::registry::FilterRegistry;
use crate::{
    prelude::*,
    shared::replication::{registry::ComponentIndex, visibility::VisibilityScope},
};

/// Bitset of visibility filters for an entity for a client.
///
/// If the bit is set, it means that this filter hides its associated data.
#[derive(Default, Reflect, Debug, PartialEq, Clone, Copy)]
pub struct FiltersMask(u32);

impl FiltersMask {
    pub(super) fn insert(&mut self, bit: FilterBit) {
        self.0 |= 1 << *bit;
    }

    pub(super) fn remove(&mut self, bit: FilterBit) {
        self.0 &= !(1 << *bit);
    }

    /// Returns `true` if the given filter hides the entity's data.
    pub fn contains(&self, bit: FilterBit) -> bool {
        (self.0 & (1 << *bit)) != 0
    }

    /// Returns `true` if no filter hides the entity's data.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Returns an iterator over all set bits, in ascending bit order.
    pub fn iter(self) -> impl Iterator<Item = FilterBit> {
        let mut mask = self.0;
        iter::from_fn(move || {
            if mask == 0 {
                return None;
            }

            let bit = mask.trailing_zeros() as u8;
            mask &= mask - 1; // Clear the lowest set bit.
            Some(FilterBit::new(bit))
        })
    }

    /// Returns `true` if the entity is hidden by any of the filters
    /// with at most `max_lifetime`.
    pub(crate) fn hides_entity(
        &self,
        registry: &FilterRegistry,
        max_lifetime: ScopeLifetime,
    ) -> bool {
        self.iter().any(|bit| {
            matches!(registry.scope(bit), VisibilityScope::Entity)
                && registry.lifetime(bit) <= max_lifetime
        })
    }

    /// Returns the shortest lifetime that hides the entity.
    ///
    /// Returns [`None`] if no filter hides it.
    pub(crate) fn hidden_entity_lifetime(
        &self,
        registry: &FilterRegistry,
    ) -> Option<ScopeLifetime> {
        self.iter()
            .filter(|bit| matches!(registry.scope(*bit), VisibilityScope::Entity))
            .map(|bit| registry.lifetime(bit))
            .min()
    }

    /// Returns an iterator over scopes hidden by filters
    /// with at most `max_lifetime`.
    pub(crate) fn scopes(
        self,
        registry: &FilterRegistry,
        max_lifetime: ScopeLifetime,
    ) -> impl Iterator<Item = &VisibilityScope> {
        self.iter()
            .filter(move |&bit| registry.lifetime(bit) <= max_lifetime)
            .map(|bit| registry.scope(bit))
    }

    /// Returns the shortest lifetime that hides the component.
    ///
    /// Returns [`None`] if no filter hides the component.
    ///
    /// Entity filters are treated as hiding all components.
    pub(crate) fn hidden_component_lifetime(
        &self,
        registry: &FilterRegistry,
        index: ComponentIndex,
    ) -> Option<ScopeLifetime> {
        self.iter()
            .filter_map(|bit| {
                let is_hidden = match registry.scope(bit) {
                    VisibilityScope::Entity => true,
                    VisibilityScope::Components(component_mask) => component_mask.contains(index),
                    VisibilityScope::AllExcept(component_mask) => !component_mask.contains(index),
                };
                if is_hidden {
                    Some(registry.lifetime(bit))
                } else {
                    None
                }
            })
            .max_by(|a, b| a.cmp(b).reverse())
    }
}

/// Bit that represents a visibility filter from [`FilterRegistry`].
#[derive(Deref, Default, Debug, PartialEq, Clone, Copy)]
pub struct FilterBit(u8);

impl FilterBit {
    /// Creates a new instance for the given bit index.
    ///
    /// Valid values are in the range `[0, 32)` that map directly to bits in [`FiltersMask`].
    pub fn new(value: u8) -> Self {
        debug_assert!(value < 32, "filter bit must be less than {}", u32::BITS);
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    #[test]
    fn insert_remove() {
        let mut mask = FiltersMask::default();
        assert!(mask.is_empty());

        let bit = FilterBit::new(2);
        mask.insert(bit);
        assert_eq!(mask, FiltersMask(0b100));
        assert!(mask.contains(bit));
        assert!(!mask.is_empty());

        mask.remove(bit);
        assert!(!mask.contains(bit));
        assert!(mask.is_empty());
    }

    #[test]
    fn iter() {
        let mask = FiltersMask(0b10101);
        let indices: Vec<_> = mask.iter().map(|bit| bit.0).collect();
        assert_eq!(indices, [0, 2, 4]);
    }
}
