using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EvaluationGate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EvaluationPolicies",
                columns: table => new
                {
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    GoldenDataset = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Tolerance = table.Column<double>(type: "REAL", nullable: false),
                    GateWaived = table.Column<bool>(type: "INTEGER", nullable: false),
                    WaiverReason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    PinnedBaselineRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedByName = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EvaluationPolicies", x => x.PathId);
                    table.ForeignKey(
                        name: "FK_EvaluationPolicies_EvaluationRuns_PinnedBaselineRunId",
                        column: x => x.PinnedBaselineRunId,
                        principalTable: "EvaluationRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_EvaluationPolicies_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationPolicies_PinnedBaselineRunId",
                table: "EvaluationPolicies",
                column: "PinnedBaselineRunId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EvaluationPolicies");
        }
    }
}
