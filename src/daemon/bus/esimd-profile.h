/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One profile on the bus: /org/freedesktop/Esimd1/Profile/N, matched by ICCID across refreshes. */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esimd-euicc.h"

G_BEGIN_DECLS

#define ESIMD_TYPE_PROFILE (esimd_profile_get_type ())
G_DECLARE_FINAL_TYPE (EsimdProfile, esimd_profile, ESIMD, PROFILE, GObject)

/* @info must have an ICCID.  The methods of the object go to @euicc. */
EsimdProfile        *esimd_profile_new (EsimdEuicc *euicc, const EsimProfileInfo *info);
void                 esimd_profile_update (EsimdProfile *self, const EsimProfileInfo *info);
/* State "unknown": esimd could not read the eUICC after a switch; the next
 * esimd_profile_update() says again what the card holds. */
void                 esimd_profile_set_state_unknown (EsimdProfile *self);
const gchar         *esimd_profile_get_path (EsimdProfile *self);
const gchar         *esimd_profile_get_iccid (EsimdProfile *self);
GDBusObjectSkeleton *esimd_profile_get_object (EsimdProfile *self);
void                 esimd_profile_flush (EsimdProfile *self);

G_END_DECLS
