using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Shadow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ShadowShare",
                table: "Paths",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ShadowOf",
                table: "InferenceEvents",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "MinWinRate",
                table: "CanaryTrials",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ShadowShare",
                table: "CanaryTrials",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "PairwiseItems",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    PrimaryEventRowId = table.Column<long>(type: "INTEGER", nullable: false),
                    ShadowEventRowId = table.Column<long>(type: "INTEGER", nullable: false),
                    CandidateReleaseId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    StableReleaseId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CandidateIsA = table.Column<bool>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Choice = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DecidedById = table.Column<string>(type: "TEXT", nullable: true),
                    DecidedByName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PairwiseItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PairwiseItems_InferenceEvents_PrimaryEventRowId",
                        column: x => x.PrimaryEventRowId,
                        principalTable: "InferenceEvents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PairwiseItems_InferenceEvents_ShadowEventRowId",
                        column: x => x.ShadowEventRowId,
                        principalTable: "InferenceEvents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PairwiseItems_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_InferenceEvents_PathId_ShadowOf",
                table: "InferenceEvents",
                columns: new[] { "PathId", "ShadowOf" },
                filter: "\"ShadowOf\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_PairwiseItems_PathId_CandidateReleaseId_Outcome",
                table: "PairwiseItems",
                columns: new[] { "PathId", "CandidateReleaseId", "Outcome" });

            migrationBuilder.CreateIndex(
                name: "IX_PairwiseItems_PathId_Status_Id",
                table: "PairwiseItems",
                columns: new[] { "PathId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_PairwiseItems_PrimaryEventRowId",
                table: "PairwiseItems",
                column: "PrimaryEventRowId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PairwiseItems_ShadowEventRowId",
                table: "PairwiseItems",
                column: "ShadowEventRowId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PairwiseItems");

            migrationBuilder.DropIndex(
                name: "IX_InferenceEvents_PathId_ShadowOf",
                table: "InferenceEvents");

            migrationBuilder.DropColumn(
                name: "ShadowShare",
                table: "Paths");

            migrationBuilder.DropColumn(
                name: "ShadowOf",
                table: "InferenceEvents");

            migrationBuilder.DropColumn(
                name: "MinWinRate",
                table: "CanaryTrials");

            migrationBuilder.DropColumn(
                name: "ShadowShare",
                table: "CanaryTrials");
        }
    }
}
