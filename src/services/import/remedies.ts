// The hints `airgap import` gives with the errors its own stages raise, in one place so
// that the stages agree. (Errors about the bundle's bytes come from the bundle reader,
// with its own hints; these are about a bundle that verified but cannot be installed,
// and about DIR.)

/** A signed, intact bundle that is not what airgap.json says: its maker is at fault. */
export const REBUILD_BUNDLE =
  'this bundle verified but cannot be installed as built: do not use it; build and export it again on the export side (airgap mirror, airgap export)';

/** DIR's own store (.airgap) is not as airgap import left it. */
export const DEST_CHANGED =
  'DIR/.airgap was changed by something other than airgap import: restore it from a backup, or import into a new DIR';
