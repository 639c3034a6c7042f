using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_InferenceEvents_TraceId",
                table: "InferenceEvents",
                column: "TraceId",
                filter: "\"TraceId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_InferenceEvents_Unit",
                table: "InferenceEvents",
                column: "Unit",
                filter: "\"Unit\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_InferenceEvents_TraceId",
                table: "InferenceEvents");

            migrationBuilder.DropIndex(
                name: "IX_InferenceEvents_Unit",
                table: "InferenceEvents");
        }
    }
}
