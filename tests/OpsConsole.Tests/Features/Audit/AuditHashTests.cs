using System.Security.Cryptography;
using OpsConsole.Web.Features.Audit;

namespace OpsConsole.Tests.Features.Audit;

public class AuditHashTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static string Compute(string prev, AuditEntry e) => AuditHash.Compute(Key, prev, e);

    private static AuditEntry Entry() => new()
    {
        Id = 7,
        At = new DateTime(2026, 11, 23, 10, 15, 30, 123, DateTimeKind.Utc),
        ActorId = "u1",
        ActorName = "owner@opsconsole.local",
        Action = "path.update",
        TargetType = "path",
        TargetId = "ticket-triage",
        PathSlug = "ticket-triage",
        BeforeJson = """{"rolloutPercent":25}""",
        AfterJson = """{"rolloutPercent":50}""",
    };

    [Fact]
    public void CanonicalJson_FixedFieldOrder_IsStable()
    {
        Assert.Equal(
            """{"seq":7,"at":"2026-11-23T10:15:30.1230000Z","actorId":"u1","actorName":"owner@opsconsole.local","action":"path.update","targetType":"path","targetId":"ticket-triage","path":"ticket-triage","before":"{\u0022rolloutPercent\u0022:25}","after":"{\u0022rolloutPercent\u0022:50}"}""",
            AuditHash.CanonicalJson(Entry()));
    }

    [Fact]
    public void Compute_SameInput_SameHash()
    {
        var a = Compute(AuditHash.Genesis, Entry());
        Assert.Equal(a, Compute(AuditHash.Genesis, Entry()));
        Assert.Matches("^[0-9a-f]{64}$", a);
    }

    [Fact]
    public void Compute_LocalAndUtcTimestampOfSameInstant_SameHash()
    {
        var local = Entry();
        local.At = DateTime.SpecifyKind(local.At, DateTimeKind.Utc).ToLocalTime();
        Assert.Equal(Compute(AuditHash.Genesis, Entry()), Compute(AuditHash.Genesis, local));
    }

    [Theory]
    [InlineData("actor")]
    [InlineData("action")]
    [InlineData("after")]
    [InlineData("seq")]
    [InlineData("at")]
    [InlineData("prev")]
    public void Compute_AnyFieldChanged_HashChanges(string field)
    {
        var original = Compute(AuditHash.Genesis, Entry());
        var e = Entry();
        var prev = AuditHash.Genesis;
        switch (field)
        {
            case "actor": e.ActorName = "mallory"; break;
            case "action": e.Action = "path.create"; break;
            case "after": e.AfterJson = """{"rolloutPercent":100}"""; break;
            case "seq": e.Id = 8; break;
            case "at": e.At = e.At.AddTicks(1); break;
            case "prev": prev = new string('1', 64); break;
        }
        Assert.NotEqual(original, Compute(prev, e));
    }

    [Fact]
    public void Compute_NullVersusEmptyBefore_Differ()
    {
        var withNull = Entry();
        withNull.BeforeJson = null;
        var withEmpty = Entry();
        withEmpty.BeforeJson = "";
        Assert.NotEqual(Compute(AuditHash.Genesis, withNull), Compute(AuditHash.Genesis, withEmpty));
    }

    [Fact]
    public void Compute_OtherKey_OtherMac()
    {
        Assert.NotEqual(Compute(AuditHash.Genesis, Entry()), AuditHash.Compute(RandomNumberGenerator.GetBytes(32), AuditHash.Genesis, Entry()));
    }

    [Fact]
    public void Compute_Keyed_DiffersFromUnkeyedSha256()
    {
        Assert.NotEqual(Compute(AuditHash.Genesis, Entry()), AuditHash.ComputeUnkeyed(AuditHash.Genesis, Entry()));
        Assert.Matches("^[0-9a-f]{64}$", AuditHash.ComputeUnkeyed(AuditHash.Genesis, Entry()));
    }
}
