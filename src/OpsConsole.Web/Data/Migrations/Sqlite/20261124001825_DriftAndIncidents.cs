using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DriftAndIncidents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Drift",
                table: "Paths",
                type: "TEXT",
                nullable: false,
                defaultValue: "{}");

            migrationBuilder.AddColumn<string>(
                name: "Cause",
                table: "Incidents",
                type: "TEXT",
                maxLength: 40,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTime>(
                name: "EscalatedAt",
                table: "Incidents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DriftCheckRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    ReferenceFrom = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReferenceTo = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CurrentFrom = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CurrentTo = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReferenceKind = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    RanAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Verdict = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Statistics = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DriftCheckRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DriftCheckRuns_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "IncidentEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    IncidentId = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 30, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentEntries_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Incidents_PathId_Cause_Status",
                table: "Incidents",
                columns: new[] { "PathId", "Cause", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_DriftCheckRuns_PathId_CurrentFrom_CurrentTo_ReferenceFrom_ReferenceTo",
                table: "DriftCheckRuns",
                columns: new[] { "PathId", "CurrentFrom", "CurrentTo", "ReferenceFrom", "ReferenceTo" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEntries_IncidentId_At",
                table: "IncidentEntries",
                columns: new[] { "IncidentId", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DriftCheckRuns");

            migrationBuilder.DropTable(
                name: "IncidentEntries");

            migrationBuilder.DropIndex(
                name: "IX_Incidents_PathId_Cause_Status",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "Drift",
                table: "Paths");

            migrationBuilder.DropColumn(
                name: "Cause",
                table: "Incidents");

            migrationBuilder.DropColumn(
                name: "EscalatedAt",
                table: "Incidents");
        }
    }
}
