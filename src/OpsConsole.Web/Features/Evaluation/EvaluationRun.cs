using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsConsole.Web.Features.Evaluation;

/// <summary>An evaluation run from an AI service's CI: one release on one dataset version, compared with the baseline.</summary>
public sealed class EvaluationRun
{
    public long Id { get; set; }
    public int PathId { get; set; }
    public string ReleaseId { get; set; } = "";
    public long DatasetVersionId { get; set; }
    /// <summary>The client's id of the run: posting it again returns this run (idempotent).</summary>
    public string ClientRunId { get; set; } = "";
    public DateTime ReceivedAt { get; set; }
    public string SubmittedBy { get; set; } = "";
    /// <summary>Every case of the version has a result.</summary>
    public bool Complete { get; set; }
    public int Cases { get; set; }
    public int Passed { get; set; }
    public string Verdict { get; set; } = "";
    public long? BaselineRunId { get; set; }
    /// <summary>The comparison (<see cref="EvaluationResult"/>) as JSON; null for a run of the stable release itself.</summary>
    public string? ResultJson { get; set; }
}

/// <summary>One case's result in a run.</summary>
public sealed class EvalCaseResult
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public string CaseId { get; set; } = "";
    public bool Pass { get; set; }
    public double? Score { get; set; }
    public string? Output { get; set; }
    public double? LatencyMs { get; set; }
    public double? CostUsd { get; set; }
}

internal sealed class EvaluationRunConfiguration : IEntityTypeConfiguration<EvaluationRun>
{
    public void Configure(EntityTypeBuilder<EvaluationRun> b)
    {
        b.ToTable("EvaluationRuns");
        b.Property(r => r.ReleaseId).HasMaxLength(Paths.PathRelease.IdLength);
        b.Property(r => r.ClientRunId).HasMaxLength(EvaluationInput.MaxRunIdLength);
        b.Property(r => r.SubmittedBy).HasMaxLength(300);
        b.Property(r => r.Verdict).HasMaxLength(20);
        b.HasIndex(r => new { r.PathId, r.ClientRunId }).IsUnique();
        b.HasIndex(r => new { r.DatasetVersionId, r.ReleaseId, r.Id });
        b.HasOne<Paths.OperatingPath>().WithMany().HasForeignKey(r => r.PathId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<EvalDatasetVersion>().WithMany().HasForeignKey(r => r.DatasetVersionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EvalCaseResultConfiguration : IEntityTypeConfiguration<EvalCaseResult>
{
    public void Configure(EntityTypeBuilder<EvalCaseResult> b)
    {
        b.ToTable("EvalCaseResults");
        b.Property(r => r.CaseId).HasMaxLength(DatasetJsonl.MaxCaseIdLength);
        b.HasIndex(r => new { r.RunId, r.CaseId }).IsUnique();
        b.HasOne<EvaluationRun>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
