mod entity_ranges;
pub(super) mod mutations;
pub(super) mod serialized_data;
pub(super) mod updates;
