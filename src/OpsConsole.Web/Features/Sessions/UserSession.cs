using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Sessions;

/// <summary>
/// One sign-in of one person in one browser: created when the sign-in cookie is issued, named by
/// the cookie's <see cref="SessionClaims.SessionId"/> claim, ended by signing out, by the person's
/// "sign out everywhere" or by an admin.
/// </summary>
public sealed class UserSession
{
    /// <summary>128 random bits, hex; the cookie carries it (protected with the cookie), nothing else does.</summary>
    public string Id { get; set; } = "";
    public string UserId { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    /// <summary>The last request or open-page check seen, at most a <see cref="SessionTracker.CheckInterval"/> late.</summary>
    public DateTime LastSeenAt { get; set; }
    /// <summary>The client's address at sign-in (after forwarded headers).</summary>
    public string IpAddress { get; set; } = "";
    /// <summary>The browser's User-Agent at sign-in, cut to <see cref="MaxUserAgentLength"/>.</summary>
    public string UserAgent { get; set; } = "";
    /// <summary>How the person signed in: "password", "password+mfa", "sso", …</summary>
    public string Method { get; set; } = "";
    public DateTime? EndedAt { get; set; }
    /// <summary>"signed out", "signed out everywhere", "ended by admin@…", "ended from another session".</summary>
    public string? EndedReason { get; set; }

    public const int MaxUserAgentLength = 512;
    public const int MaxIpLength = 64;
}

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> b)
    {
        b.ToTable("UserSessions");
        b.HasKey(s => s.Id);
        b.Property(s => s.Id).HasMaxLength(32);
        b.Property(s => s.UserId).HasMaxLength(450);
        b.Property(s => s.IpAddress).HasMaxLength(UserSession.MaxIpLength);
        b.Property(s => s.UserAgent).HasMaxLength(UserSession.MaxUserAgentLength);
        b.Property(s => s.Method).HasMaxLength(32);
        b.Property(s => s.EndedReason).HasMaxLength(300);
        b.HasIndex(s => new { s.UserId, s.EndedAt });
        b.HasOne<AppUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class SessionsTables
{
    extension(AppDbContext db)
    {
        public DbSet<UserSession> UserSessions => db.Set<UserSession>();
    }
}
