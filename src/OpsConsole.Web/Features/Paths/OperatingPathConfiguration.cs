using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Features.Paths;

internal sealed class OperatingPathConfiguration : IEntityTypeConfiguration<OperatingPath>
{
    public void Configure(EntityTypeBuilder<OperatingPath> b)
    {
        b.ToTable("Paths");
        b.HasIndex(p => p.Slug).IsUnique();
        b.Property(p => p.Slug).HasMaxLength(63);
        b.Property(p => p.Name).HasMaxLength(200);
        b.Property(p => p.ContainedBy).HasMaxLength(32);
        b.Property(p => p.Description).HasMaxLength(4000);
        b.Property(p => p.ReviewGuidance).HasMaxLength(8000);
        b.Property(p => p.FallbackMode).HasConversion<string>().HasMaxLength(20);
        b.Property(p => p.KillSwitchReason).HasMaxLength(1000);
        b.Property(p => p.BreakdownAttribute).HasMaxLength(64);
        b.Property(p => p.WebhookUrl).HasMaxLength(2000);
        // Encrypted: a 200-character secret takes about 380 characters once protected.
        b.Property(p => p.WebhookSecret).HasMaxLength(1000);
        b.Property(p => p.ConfigVersion).IsConcurrencyToken();
        b.Property(p => p.StableReleaseId).HasMaxLength(PathRelease.IdLength);
        b.Property(p => p.CandidateReleaseId).HasMaxLength(PathRelease.IdLength);
        b.HasOne<AppUser>().WithMany().HasForeignKey(p => p.OnCallUserId).OnDelete(DeleteBehavior.SetNull);

        // Settings that are read and written as a whole live in JSON columns.
        b.OwnsOne(p => p.Slo, o => o.ToJson());
        b.OwnsOne(p => p.Boundaries, o => o.ToJson());
        b.OwnsOne(p => p.Gates, o => o.ToJson());
        b.OwnsOne(p => p.Drift, o => o.ToJson());
        b.OwnsMany(p => p.ContextSources, o => o.ToJson());
        b.OwnsOne(p => p.Redaction, o => o.ToJson());

        b.HasMany(p => p.Members).WithOne().HasForeignKey(m => m.PathId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PathMemberConfiguration : IEntityTypeConfiguration<PathMember>
{
    public void Configure(EntityTypeBuilder<PathMember> b)
    {
        b.ToTable("PathMembers");
        b.HasKey(m => new { m.PathId, m.UserId, m.Kind });
        b.Property(m => m.Kind).HasConversion<string>().HasMaxLength(20);
        b.HasIndex(m => new { m.UserId, m.Kind });
        b.HasOne<AppUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
