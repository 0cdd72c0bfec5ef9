/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bound profile package (SGP.22 §2.5.4, ES8+ §5.5), both sides:
 *
 *   BoundProfilePackage ::= [54] SEQUENCE {                 -- BF36
 *     initialiseSecureChannelRequest [35] …,               -- BF23, signed by DPpb
 *     firstSequenceOf87  [0] SEQUENCE OF [7] OCTET STRING, -- A0: ConfigureISDP (BF24), encrypted
 *     sequenceOf88       [1] SEQUENCE OF [8] OCTET STRING, -- A1: StoreMetadata (BF25), MAC only
 *     secondSequenceOf87 [2] SEQUENCE OF [7] … OPTIONAL,   -- A2: ReplaceSessionKeys (BF26), encrypted
 *     sequenceOf86       [3] SEQUENCE OF [6] OCTET STRING  -- A3: profile elements, encrypted
 *   }
 * (SGP.22 RSPDefinitions).  Each element of A0..A3 is one BSP TLV exactly as
 * esim_bsp_wrap() makes it (pySim pySim/esim/es8p.py BoundProfilePackage.encode()
 * and decode() put and take them without a further wrapper).
 *
 * The SM-DP+ side builds: esim_init_secure_channel_build() then
 * esim_bpp_build(), with the profile either protected by the session keys
 * or protected in advance (esim_bpp_protect_profile() with PPKs, then
 * ReplaceSessionKeys inside the package).  The eUICC side either processes
 * the elements one by one with an EsimBsp as they arrive (LoadBoundProfilePackage
 * segments) or opens a whole package with esim_bpp_open().
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>

#include "esim-bsp.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"

G_BEGIN_DECLS

#define ESIM_BPP_TAG                      0xBF36
#define ESIM_BPP_TAG_INIT_SECURE_CHANNEL  0xBF23
#define ESIM_BPP_TAG_CONFIGURE_ISDP       0xBF24
#define ESIM_BPP_TAG_STORE_METADATA       0xBF25
#define ESIM_BPP_TAG_REPLACE_SESSION_KEYS 0xBF26
#define ESIM_BPP_TAG_FIRST_SEQUENCE_OF_87  0xA0
#define ESIM_BPP_TAG_SEQUENCE_OF_88        0xA1
#define ESIM_BPP_TAG_SECOND_SEQUENCE_OF_87 0xA2
#define ESIM_BPP_TAG_SEQUENCE_OF_86        0xA3
/* RemoteOpId installBoundProfilePackage (1) */
#define ESIM_BPP_REMOTE_OP_INSTALL        1

/* BppCommandId and ErrorReason of ProfileInstallationResult (SGP.22 RSPDefinitions) */
typedef enum {
	ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL = 0,
	ESIM_BPP_COMMAND_CONFIGURE_ISDP = 1,
	ESIM_BPP_COMMAND_STORE_METADATA = 2,
	ESIM_BPP_COMMAND_STORE_METADATA2 = 3,
	ESIM_BPP_COMMAND_REPLACE_SESSION_KEYS = 4,
	ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS = 5,
} EsimBppCommand;

typedef enum {
	ESIM_BPP_REASON_INCORRECT_INPUT_VALUES = 1,
	ESIM_BPP_REASON_INVALID_SIGNATURE = 2,
	ESIM_BPP_REASON_INVALID_TRANSACTION_ID = 3,
	ESIM_BPP_REASON_UNSUPPORTED_CRT_VALUES = 4,
	ESIM_BPP_REASON_UNSUPPORTED_REMOTE_OPERATION_TYPE = 5,
	ESIM_BPP_REASON_UNSUPPORTED_PROFILE_CLASS = 6,
	ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR = 7,
	ESIM_BPP_REASON_SCP03T_SECURITY_ERROR = 8,
	ESIM_BPP_REASON_UNKNOWN_ERROR = 127,
} EsimBppReason;

/* The ErrorReason a card reports for an error from this library: BAD_MAC and
 * BAD_PADDING are scp03tSecurityError, BAD_SIGNATURE invalidSignature,
 * UNSUPPORTED (CRT) unsupportedCrtValues, malformed or out-of-order
 * elements scp03tStructureError. */
EsimBppReason esim_bpp_error_reason (const GError *error);

/* ---- InitialiseSecureChannelRequest (BF23) ---- */

typedef struct {
	guint8  remote_op_id;
	GBytes *transaction_id;
	guint8  key_type;                               /* CRT 80 */
	guint8  key_length;                             /* CRT 81 */
	GBytes *host_id;                                /* CRT 84 */
	guint8  smdp_otpk[ESIM_P256_POINT_LEN];        /* 5F49, otPK.DP.ECKA */
	guint8  smdp_signature[ESIM_ECDSA_RAW_LEN];    /* 5F37 */
	GBytes *signed_part;    /* the 82, 80, A6 and 5F49 elements as received */
} EsimInitSecureChannel;

/* Strict parse: remoteOpId, transactionId of 1..16 bytes, CRT with 80/81 of
 * one byte and 84 of 1..16 bytes, a 65-byte 04… point, a 64-byte signature,
 * nothing else.  The caller checks remote_op_id == ESIM_BPP_REMOTE_OP_INSTALL
 * (else unsupportedRemoteOperationType), the transaction ID, the signature
 * (esim_init_secure_channel_signed_data + DPpb certificate) and the CRT
 * values (esim_bsp_derive_keys refuses unsupported ones). */
EsimInitSecureChannel *esim_init_secure_channel_parse (const guint8 *data, gsize len, GError **error);
void                   esim_init_secure_channel_free (EsimInitSecureChannel *iscr);
/* What smdpSign covers: the signed part followed by 5F49 otPK.EUICC.ECKA,
 * the eUICC's own one-time key (pySim es8p.py gen_initialiseSecureChannel). */
GBytes                *esim_init_secure_channel_signed_data (const EsimInitSecureChannel *iscr,
                                                              const guint8 euicc_otpk[ESIM_P256_POINT_LEN]);
/* The SM-DP+ side: BF23 with CRT AES/16, signed with the DPpb key. */
GBytes                *esim_init_secure_channel_build (const guint8 *transaction_id, gsize transaction_id_len,
                                                        const guint8 *host_id, gsize host_id_len,
                                                        const guint8 smdp_otpk[ESIM_P256_POINT_LEN],
                                                        const guint8 euicc_otpk[ESIM_P256_POINT_LEN],
                                                        gnutls_privkey_t dp_pb_key, GError **error);

/* ---- the package's structure ---- */

typedef struct {
	GBytes    *init_secure_channel;  /* BF23 TLV as received */
	GPtrArray *first_87;             /* GBytes: each 87 TLV of A0 */
	GPtrArray *seq_88;               /* … 88 of A1 */
	GPtrArray *second_87;            /* … 87 of A2; NULL when the package has no A2 */
	GPtrArray *seq_86;               /* … 86 of A3 */
} EsimBppParts;

/* BF36 with its parts in order, each sequence non-empty and of the right
 * element tag, nothing after A3. */
EsimBppParts *esim_bpp_split (const guint8 *data, gsize len, GError **error);
void          esim_bpp_parts_free (EsimBppParts *parts);

/* ---- SM-DP+ side ---- */

/* A profile protected in advance (PPP): the UPP wrapped as 86 segments with
 * the PPKs, independent of any session. */
GPtrArray *esim_bpp_protect_profile (const EsimBspKeys *ppk, const guint8 *upp, gsize len, GError **error);

typedef struct {
	GBytes            *init_secure_channel;  /* BF23 from esim_init_secure_channel_build() */
	GBytes            *configure_isdp;       /* BF24 */
	GBytes            *store_metadata;       /* BF25 */
	GBytes            *upp;                  /* profile elements, protected with the session keys… */
	const EsimBspKeys *ppk;                  /* …or: the PPKs that protected… */
	GPtrArray         *ppp;                  /* …these 86 segments (GBytes) in advance */
} EsimBppContent;

GBytes *esim_bpp_build (const EsimBspKeys *session_keys, const EsimBppContent *content, GError **error);

/* ---- eUICC side ---- */

typedef struct {
	GBytes     *configure_isdp;        /* BF24 */
	GBytes     *store_metadata;        /* BF25 */
	gboolean    replaced_keys;         /* the package carried ReplaceSessionKeys */
	EsimBspKeys ppk;                   /* …these (wiped on free) */
	GBytes     *profile;               /* the 86 plaintexts, concatenated */
} EsimBppPlain;

/* Verifies and decrypts every protected element in order with
 * @session_keys (and the PPKs of ReplaceSessionKeys, if present); checks
 * that ConfigureISDP, StoreMetadata and ReplaceSessionKeys are one TLV with
 * their tag.  Does not look at BF23 (the caller verified it to derive
 * @session_keys).  On failure *@failed_command (optional) says which
 * command failed, for ProfileInstallationResult's bppCommandId. */
EsimBppPlain *esim_bpp_open (const EsimBspKeys *session_keys, const guint8 *data, gsize len,
                             EsimBppCommand *failed_command, GError **error);
void          esim_bpp_plain_free (EsimBppPlain *plain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimInitSecureChannel, esim_init_secure_channel_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimBppParts, esim_bpp_parts_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimBppPlain, esim_bpp_plain_free)

G_END_DECLS
