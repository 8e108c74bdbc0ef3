namespace KeyCustody.Daemon.Security;

/// <summary>
/// Who is calling: a local process (peer uid/gid from SO_PEERCRED on the Unix socket) or a TLS client
/// (its certificate's subject). Nothing is served without one.
/// </summary>
public sealed record Principal(uint? Uid, uint? Gid, int? Pid, string? CertificateSubject)
{
    /// <summary>The peer's supplementary groups at connect time (SO_PEERGROUPS), for gid rules.</summary>
    public IReadOnlyList<uint> Groups { get; init; } = [];

    /// <summary>The in-process caller used by the embedded simulator's bootstrap, never reachable from outside.</summary>
    public static Principal Daemon { get; } = new(null, null, null, "keycustodyd");

    public static Principal FromPeer(uint uid, uint gid, int pid, IReadOnlyList<uint>? groups = null) => new(uid, gid, pid, null) { Groups = groups ?? [] };

    public static Principal FromCertificate(string subject) => new(null, null, null, subject);

    /// <summary>"uid:1000 gid:1000" or "cert:CN=bot": what logs and audit records show (a subject's hidden characters escaped).</summary>
    public override string ToString() => CertificateSubject is not null ? "cert:" + Matrix.DisplayText.Escape(CertificateSubject) : $"uid:{Uid} gid:{Gid}";

    /// <summary>
    /// The same person, for "the approver must differ from the requester" and "a cached touch covers only its own
    /// person": a local caller is its uid (never its group: a user changes its primary group at will with sg or
    /// newgrp, and its supplementary groups are its own too); a TLS caller is its certificate's subject. A local caller
    /// and a certificate are two people: the daemon cannot tell that one person holds both (docs/threat-model.md).
    /// </summary>
    public bool SameIdentity(Principal other) => CertificateSubject is not null || other.CertificateSubject is not null
        ? CertificateSubject == other.CertificateSubject
        : Uid is not null && Uid == other.Uid;
}
