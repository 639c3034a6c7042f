using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Canary : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CanaryTrials",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    ReleaseId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StableReleaseId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    AutoAdvance = table.Column<bool>(type: "boolean", nullable: false),
                    Alpha = table.Column<double>(type: "double precision", nullable: false),
                    QualityDrop = table.Column<double>(type: "double precision", nullable: false),
                    ErrorRise = table.Column<double>(type: "double precision", nullable: false),
                    LatencyRise = table.Column<double>(type: "double precision", nullable: false),
                    CostRise = table.Column<double>(type: "double precision", nullable: false),
                    StepIndex = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StepStartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StartedById = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: true),
                    StartedByName = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    LastVerdict = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    LastLookAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    IncidentId = table.Column<long>(type: "bigint", nullable: true),
                    Steps = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryTrials", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CanaryTrials_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CanaryLooks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TrialId = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StepIndex = table.Column<int>(type: "integer", nullable: false),
                    Share = table.Column<int>(type: "integer", nullable: false),
                    Verdict = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    QualityStatistic = table.Column<double>(type: "double precision", nullable: false),
                    Boundary = table.Column<double>(type: "double precision", nullable: false),
                    EvidenceJson = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CanaryLooks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CanaryLooks_CanaryTrials_TrialId",
                        column: x => x.TrialId,
                        principalTable: "CanaryTrials",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryLooks_TrialId_At",
                table: "CanaryLooks",
                columns: new[] { "TrialId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryTrials_PathId_State",
                table: "CanaryTrials",
                columns: new[] { "PathId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryTrials_ReleaseId",
                table: "CanaryTrials",
                column: "ReleaseId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CanaryLooks");

            migrationBuilder.DropTable(
                name: "CanaryTrials");
        }
    }
}
