"""IAM's actions for the root user: access keys, the account summary, the credential
report, MFA devices."""

import base64

from accounts.mfa import serial_number
from accounts.mfa.lookup import devices_of
from accounts.models import MFADevice

from ..credential_report import (
    REPORT_FORMAT,
    ReportState,
    credential_report_generate,
    credential_report_get,
)
from ..models import ACCESS_KEYS_PER_USER, AccessKey, owned_key
from ..services import (
    access_key_activate,
    access_key_create,
    access_key_deactivate,
    access_key_delete,
)
from .caller import Caller, Handler
from .protocol import Paging, Validation, access_key_id_of, as_root, user_name_of
from .xml import Fields, iso8601


def _metadata(access_key: AccessKey) -> Fields:
    # No UserName: AWS leaves it out for the root user's keys.
    return [
        ("AccessKeyId", access_key.access_key_id),
        ("Status", access_key.status),
        ("CreateDate", iso8601(access_key.created_at)),
    ]


def create_access_key(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    as_root(check, user_name_of(check))
    new_key = access_key_create(owner=caller.owner, context=caller.context)
    access_key = new_key.access_key
    return [
        (
            "AccessKey",
            [
                ("AccessKeyId", access_key.access_key_id),
                ("Status", access_key.status),
                ("SecretAccessKey", new_key.secret_access_key),
                ("CreateDate", iso8601(access_key.created_at)),
            ],
        )
    ]


def _listing(params: dict[str, str]) -> Paging:
    """A List* call's parameters: its paging, and a UserName that must name no IAM user."""
    check = Validation(params)
    user_name = user_name_of(check)
    paging = Paging.read(check)
    as_root(check, user_name)
    return paging


def list_access_keys(caller: Caller, params: dict[str, str]) -> Fields:
    return _listing(params).answer(
        "AccessKeyMetadata", caller.account_keys.all, lambda key: key.access_key_id, _metadata
    )


def update_access_key(caller: Caller, params: dict[str, str]) -> None:
    """Update and Delete answer with ResponseMetadata alone: no Result element."""
    check = Validation(params)
    user_name = user_name_of(check)
    access_key_id = access_key_id_of(check)
    status = check.string("Status", required=True, choices=AccessKey.Status.values)
    as_root(check, user_name)
    access_key = owned_key(caller.account_keys.all, access_key_id or "")
    if status == AccessKey.Status.ACTIVE:
        access_key_activate(access_key=access_key, context=caller.context)
    else:
        access_key_deactivate(access_key=access_key, context=caller.context)


def delete_access_key(caller: Caller, params: dict[str, str]) -> None:
    check = Validation(params)
    user_name = user_name_of(check)
    access_key_id = access_key_id_of(check)
    as_root(check, user_name)
    access_key_delete(
        access_key=owned_key(caller.account_keys.all, access_key_id or ""), context=caller.context
    )


def get_access_key_last_used(caller: Caller, params: dict[str, str]) -> Fields:
    check = Validation(params)
    access_key_id = access_key_id_of(check)
    check.check()
    access_key = owned_key(caller.account_keys.all, access_key_id or "")
    if access_key.last_used_at is None:
        # AWS's answer for a key never used: "N/A" and no date.
        last_used: Fields = [("Region", "N/A"), ("ServiceName", "N/A")]
    else:
        last_used = [
            ("LastUsedDate", iso8601(access_key.last_used_at)),
            ("ServiceName", access_key.last_used_service),
            ("Region", access_key.last_used_region),
        ]
    return [("AccessKeyLastUsed", last_used)]


# GetAccountSummary as AWS answers for an account with no IAM users, groups, roles or
# policies, and AWS's default quotas. AccountAccessKeysPresent is 1: the caller signed with one.
ACCOUNT_SUMMARY = {
    "Users": 0, "UsersQuota": 5000, "Groups": 0, "GroupsQuota": 300,
    "ServerCertificates": 0, "ServerCertificatesQuota": 20,
    "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "GroupsPerUserQuota": 10,
    "SigningCertificatesPerUserQuota": 2, "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER,
    "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0,
    "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0,
    "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "Policies": 0, "PoliciesQuota": 1500, "PolicySizeQuota": 6144,
    "PolicyVersionsInUse": 0, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5,
    "GlobalEndpointTokenVersion": 1, "AssumeRolePolicySizeQuota": 2048,
    "InstanceProfiles": 0, "InstanceProfilesQuota": 1000, "Providers": 0,
    "RolePolicySizeQuota": 10240, "Roles": 0, "RolesQuota": 1000,
}  # fmt: skip


def get_account_summary(caller: Caller, params: dict[str, str]) -> Fields:
    # Every assigned device is in use: the root user's are assigned in the console only.
    mfa_devices = MFADevice.objects.for_owner(caller.owner).count()
    summary = {
        **ACCOUNT_SUMMARY,
        "MFADevices": mfa_devices,
        "MFADevicesInUse": mfa_devices,
        "AccountMFAEnabled": 1 if mfa_devices else 0,
    }
    entries = [("entry", [("key", key), ("value", str(value))]) for key, value in summary.items()]
    return [("SummaryMap", entries)]


REPORT_STARTED = "No report exists. Starting a new report generation task"  # AWS's words


def generate_credential_report(caller: Caller, params: dict[str, str]) -> Fields:
    state = credential_report_generate(owner=caller.owner)
    if state == ReportState.STARTED:
        return [("Description", REPORT_STARTED), ("State", state.value)]
    return [("State", state.value)]


def get_credential_report(caller: Caller, params: dict[str, str]) -> Fields:
    report = credential_report_get(owner=caller.owner)
    return [
        ("Content", base64.b64encode(report.content_bytes()).decode("ascii")),
        ("ReportFormat", REPORT_FORMAT),
        ("GeneratedTime", iso8601(report.generated_at)),
    ]


def list_mfa_devices(caller: Caller, params: dict[str, str]) -> Fields:
    """The root user's MFA devices (authenticator apps and FIDO keys), oldest first."""
    paging = _listing(params)
    owner = caller.owner

    def member(device: MFADevice) -> Fields:
        return [
            ("UserName", owner.account_name),
            ("SerialNumber", serial_number(device)),
            ("EnableDate", iso8601(device.created_at)),
        ]

    return paging.answer("MFADevices", devices_of(owner), serial_number, member)


ACTIONS: dict[str, Handler] = {
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
    "GetAccessKeyLastUsed": get_access_key_last_used,
    "GetAccountSummary": get_account_summary,
    "GenerateCredentialReport": generate_credential_report,
    "GetCredentialReport": get_credential_report,
    "ListMFADevices": list_mfa_devices,
}
