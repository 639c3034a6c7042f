using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Postgres
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
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ShadowOf",
                table: "InferenceEvents",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "MinWinRate",
                table: "CanaryTrials",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ShadowShare",
                table: "CanaryTrials",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "PairwiseItems",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    PathId = table.Column<int>(type: "integer", nullable: false),
                    PrimaryEventRowId = table.Column<long>(type: "bigint", nullable: false),
                    ShadowEventRowId = table.Column<long>(type: "bigint", nullable: false),
                    CandidateReleaseId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    StableReleaseId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CandidateIsA = table.Column<bool>(type: "boolean", nullable: false),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Choice = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    Outcome = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DecidedById = table.Column<string>(type: "text", nullable: true),
                    DecidedByName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
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
