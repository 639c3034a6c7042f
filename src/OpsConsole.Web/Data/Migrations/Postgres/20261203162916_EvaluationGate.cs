using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Postgres
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
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    GoldenDataset = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Tolerance = table.Column<double>(type: "double precision", nullable: false),
                    GateWaived = table.Column<bool>(type: "boolean", nullable: false),
                    WaiverReason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    PinnedBaselineRunId = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedByName = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false)
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
